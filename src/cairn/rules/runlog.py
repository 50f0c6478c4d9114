"""Run-log shapes, idempotency keys and loop-depth accounting."""

from __future__ import annotations

from typing import Any

#: A rule whose actions change records starts rules again; past this depth a run stops.
MAX_DEPTH = 5
#: The event payload keys a rule's writes carry (``services.uow`` merges them into events).
DEPTH_KEY = "rule_depth"
RULE_KEY = "rule_id"

#: Run statuses. ``waiting``: paused by a wait action; ``stopped``: over the depth limit;
#: ``partial``: finished, with an action that failed and let the next ones run
#: (``on_error: continue``); ``failed``: an action failed and stopped the run.
RUNNING, WAITING, OK, PARTIAL, FAILED, SKIPPED, STOPPED = (
    "running",
    "waiting",
    "ok",
    "partial",
    "failed",
    "skipped",
    "stopped",
)
FINAL = frozenset({OK, PARTIAL, FAILED, SKIPPED, STOPPED})

#: Outbox event types of the rule engine itself.
FIRED = "rule.fired"  # a scan (date, schedule, inactivity) or an inbound webhook fired a rule
RESUME = "rule.resume"  # a wait is over


def depth_of(payload: dict[str, Any]) -> int:
    d = payload.get(DEPTH_KEY, 0)
    return d if isinstance(d, int) and not isinstance(d, bool) else 0


def event_meta(rule_id: int, depth: int) -> dict[str, Any]:
    """What a rule's writes put into the events they cause."""
    return {DEPTH_KEY: depth + 1, RULE_KEY: rule_id}


def action_key(rule_id: int, run_key: str, index: int) -> str:
    """The idempotency key of one action of one run (a replay gets the same)."""
    return f"rule:{rule_id}:{run_key}:{index}"
