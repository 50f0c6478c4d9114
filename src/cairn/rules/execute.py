"""One run of one rule (``RuleEngine.run``): find or start it, then each action in turn, its
outcome recorded in the transaction of its own write where it has one.

A failed action is logged (its error, and the deliveries it made) and then does what its
``on_error`` says: ``stop`` ends the run ``failed``; ``continue`` lets the next actions run and
the run ends ``partial``. A channel failure is final for the run: the delivery retries on its
own (``integrations.redelivery``), so the event is not handed back to the dispatcher; any other
failure a retry may cure (a lost database, a write conflict) is, as before, until the
dispatcher's attempts are spent."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM
from cairn.core import CairnError, actionlog
from cairn.core.i18n import render
from cairn.rules import runlog
from cairn.rules.action_base import RunContext
from cairn.rules.compiled import Compiled
from cairn.rules.evaluate import truth
from cairn.rules.ports import Work
from cairn.rules.public import iso
from cairn.rules.spec import on_error_of
from cairn.store import rules as store

if TYPE_CHECKING:
    from cairn.rules.runner import RuleEngine


def text(e: Exception) -> str:
    """An error as a run log shows it (a Cairn error in English)."""
    if isinstance(e, CairnError):
        try:
            return render(e.message, "en")
        except Exception:
            return e.message.key
    return f"{type(e).__name__}: {e}"[:2000]


def run(
    engine: RuleEngine,
    c: Compiled,
    *,
    run_key: str,
    trigger: str,
    record_id: int | None,
    depth: int,
    event_id: int | None = None,
    late: bool = False,
    start: int = 0,
    recheck: bool = False,
    attempts: int = 1,
) -> None:
    """One run: (1) find or start it, compute the condition and action values and read the
    record, in one transaction; (2) each action, its outcome recorded in the transaction of
    its own write where it has one (the last also settles the run)."""
    runtime = engine.runtime
    n_actions = len(c.spec.actions)
    try:
        owner = engine.owner(c)
    except CairnError as e:
        owner, owner_error = SYSTEM, text(e)
    else:
        owner_error = None
    with runtime.work(principal=owner) as work:
        run = store.run_by_key(work.conn, c.id, run_key)
        if run is None:
            run_id = store.start_run(
                work.conn,
                work.now,
                rule_id=c.id,
                run_key=run_key,
                trigger=trigger,
                event_id=event_id,
                record_id=record_id,
                depth=depth,
                late=late,
            )
            done: set[int] = set()
            log_entries: list[dict[str, Any]] = []
        else:
            if run["status"] in runlog.FINAL:
                return  # a replay: it ran already
            if run["status"] == runlog.WAITING and start == 0:
                return  # the replayed trigger of a run that waits
            run_id = run["id"]
            log_entries = list(run["actions"] or [])
            done = {a["index"] for a in log_entries if settled(a)}
            if start:
                store.set_run(work.conn, run_id, status=runlog.RUNNING, late=late)

        def settle(status: str, error: str | None = None, **more: Any) -> None:
            store.set_run(
                work.conn, run_id, status=status, error=error, finished_at=work.now, **more
            )

        if depth > runlog.MAX_DEPTH:
            settle(runlog.STOPPED, f"loop protection: depth {depth} > {runlog.MAX_DEPTH}")
            return
        if owner_error is not None:
            settle(runlog.FAILED, owner_error)
            return
        values, record = engine.read_in(work, c, record_id) if record_id else ({}, {})
        if values is None:
            settle(runlog.SKIPPED, "the record is gone")
            return
        if "condition" in c.formulas and (start == 0 or recheck):
            met = truth(values["condition"])
            store.set_run(work.conn, run_id, condition=met)
            if not met:
                settle(runlog.SKIPPED, condition=False)
                return
        if all(i in done for i in range(start, n_actions)):
            status = outcome(log_entries)
            kept = run["error"] if run is not None and status == runlog.PARTIAL else None
            settle(status, kept)
            return
    ports = engine.ports(c, owner, depth)
    info = c.info | {"link": engine.link(c, record_id)}
    last = max(i for i in range(start, n_actions) if i not in done)
    for i in range(start, n_actions):
        if i in done:
            continue
        a = c.spec.actions[i]
        at = engine.actions.of(a)
        t0 = time.perf_counter()
        if a.type == "wait":
            with runtime.work() as work:
                due = work.now + timedelta(seconds=a.seconds)  # type: ignore[union-attr]
                store.add_job(
                    work.conn,
                    c.id,
                    run_id,
                    "wait",
                    due,
                    {"next": i + 1, "recheck": a.recheck, "record_id": record_id},  # type: ignore[union-attr]
                    work.now,
                )
                entry = actionlog.entry(i, a.type, "ok", 0, {"until": iso(due)})
                store.set_run(
                    work.conn,
                    run_id,
                    status=runlog.WAITING,
                    actions=actionlog.merge(log_entries, entry),
                )
            return

        def mark(work: Work, result: Any = None, i: int = i, t0: float = t0, a: Any = a) -> None:
            """The action's outcome, in the transaction of its effect (the last settles)."""
            if result is None:
                result = {"records": [e.record_id for e in work.events]}
            ms = (time.perf_counter() - t0) * 1000
            actions = actionlog.merge(log_entries, actionlog.entry(i, a.type, "ok", ms, result))
            finished: dict[str, Any] = {}
            if i == last:
                status = outcome(actions)
                finished = {"status": status, "finished_at": work.now}
                if status == runlog.OK:
                    finished["error"] = None  # an earlier try's error is over
            store.set_run(work.conn, run_id, actions=actions, **finished)
            log_entries[:] = actions

        key = runlog.action_key(c.id, run_key, i)
        try:
            ctx = RunContext(
                info, record_id, record, values, i, {"rule_id": c.id, "run_id": run_id}
            )
            effect = at.resolve(a, ctx, ports)
            at.apply(a, effect, ports, key, mark)
        except Exception as e:
            ms = (time.perf_counter() - t0) * 1000
            msg = text(e)
            # A channel's failure names the deliveries it made: they retry on their own.
            sent = getattr(e, "delivery_ids", None)
            retryable = getattr(e, "retryable", not isinstance(e, CairnError))
            again = sent is None and retryable and attempts < engine.max_attempts
            policy = on_error_of(a)
            entry = actionlog.entry(
                i,
                a.type,
                "failed",
                ms,
                {"deliveries": list(sent)} if sent else None,
                error=msg,
            ) | ({} if again else {"on_error": policy})
            actions = actionlog.merge(log_entries, entry)
            log_entries[:] = actions
            go_on = not again and policy == "continue"
            with runtime.work() as work:
                finished: dict[str, Any] = {}
                if not again and (not go_on or i == last):
                    finished = {
                        "status": runlog.FAILED if not go_on else runlog.PARTIAL,
                        "finished_at": work.now,
                    }
                store.set_run(work.conn, run_id, actions=actions, error=msg, **finished)
            if again:
                raise  # the dispatcher tries the event again after a back-off
            if not go_on:
                return


def settled(entry: dict[str, Any]) -> bool:
    """An action a replay of the run does not do again: done, or failed and let go."""
    return entry.get("status") == "ok" or (
        entry.get("status") == "failed" and entry.get("on_error") == "continue"
    )


def outcome(entries: list[dict[str, Any]]) -> str:
    """How a run that went to its end settles: ``partial`` when an action failed on the way."""
    if any(e.get("status") == "failed" for e in entries):
        return runlog.PARTIAL
    return runlog.OK
