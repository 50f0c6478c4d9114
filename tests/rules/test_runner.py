"""The runner against its ports alone (``rules.ports.Runtime``): no services, no database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from cairn.auth import SYSTEM, Principal
from cairn.core import Forbidden, FrozenClock
from cairn.rules import Compiled, RuleEngine, parse_spec, runlog
from cairn.rules.execute import text
from cairn.rules.public import exported, rule_public, run_public


@dataclass
class FakeRuntime:
    """A ``Runtime`` that only knows users (the runner asks it for rule owners)."""

    users: dict[int, Principal]
    asked: list[int] = field(default_factory=list)
    clock: FrozenClock = field(default_factory=FrozenClock)

    def owner(self, user_id: int) -> Principal:
        self.asked.append(user_id)
        if user_id not in self.users:
            raise Forbidden("rule.owner_gone")
        return self.users[user_id]

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the runner did not need {name} here")


class FakeNotifier:
    def channels(self) -> Sequence[str]:
        return ["inapp"]


@dataclass(frozen=True)
class FakeEvent:
    id: int
    type: str
    table_id: int | None
    record_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    attempts: int = 1


def compiled(owner_id: int | None) -> Compiled:
    spec = parse_spec(
        {
            "trigger": {"type": "record.created"},
            "actions": [{"type": "notify", "channel": "inapp", "to": ["owner"], "body": "hi"}],
        }
    )
    row = {"id": 3, "key": "k", "name": "n", "owner_id": owner_id}
    info = {"app": "ops", "table": "tickets"}
    return Compiled(row, spec, None, {}, info, "event")  # type: ignore[arg-type]


def engine(runtime: FakeRuntime) -> RuleEngine:
    return RuleEngine(runtime, FakeNotifier(), max_attempts=10)  # type: ignore[arg-type]


def test_the_runner_wants_record_events_on_a_table_and_its_own_events() -> None:
    e = engine(FakeRuntime({}))
    assert e.wants(FakeEvent(1, "record.created", table_id=4))
    assert not e.wants(FakeEvent(2, "record.created", table_id=None))
    assert e.wants(FakeEvent(3, runlog.FIRED, table_id=None))
    assert e.wants(FakeEvent(4, runlog.RESUME, table_id=None))
    assert e.wants(FakeEvent(5, "process.completed", table_id=4))
    assert not e.wants(FakeEvent(6, "user.created", table_id=4))


def test_a_rules_owner_is_asked_for_once_within_the_ttl() -> None:
    alice = Principal(7, "alice", False, "rule")
    runtime = FakeRuntime({7: alice})
    e = engine(runtime)
    c = compiled(7)
    assert e.owner(c) is alice
    assert e.owner(c) is alice
    assert runtime.asked == [7]
    assert e.owner(compiled(None)) is SYSTEM
    with pytest.raises(Forbidden):
        e.owner(compiled(8))


def test_links_go_to_the_records_page() -> None:
    e = engine(FakeRuntime({}))
    assert e.link(compiled(None), 12) == "/apps/ops/tables/tickets/records/12"
    assert e.link(compiled(None), None) == ""


def test_a_run_logs_errors_in_english_and_short() -> None:
    assert "owner" in text(Forbidden("rule.owner_gone"))
    long = text(ValueError("x" * 5000))
    assert long.startswith("ValueError: x") and len(long) == 2000


def test_public_shapes_of_a_rule_and_a_run() -> None:
    row = {
        "id": 5,
        "key": "hook",
        "name": "Hook",
        "description": None,
        "enabled": 1,
        "owner_id": 2,
        "spec": {"trigger": {"type": "webhook"}, "actions": [{"type": "wait", "seconds": 60}]},
        "version": 1,
        "created_at": None,
        "updated_at": None,
        "secret": "s3",
    }
    pub = rule_public(row, "tickets")
    assert pub["webhook"] == {
        "path": "/api/v1/hooks/rules/5/••••••••",
        "secret": None,
        "has_secret": True,
    }  # shown once: only where it was made
    assert rule_public(row, "tickets", reveal=True)["webhook"] == {
        "path": "/api/v1/hooks/rules/5/s3",
        "secret": "s3",
        "has_secret": True,
    }
    assert pub["enabled"] is True and pub["table"] == "tickets"
    assert exported(pub) == {
        "key": "hook",
        "name": "Hook",
        "table": "tickets",
        "enabled": True,
        "trigger": {"type": "webhook"},
        "actions": [{"type": "wait", "seconds": 60}],
    }
    run = {
        "id": 1,
        "trigger": "record.created",
        "event_id": 9,
        "record_id": 4,
        "status": "ok",
        "late": 0,
        "condition": None,
        "depth": 0,
        "actions": None,
        "error": None,
        "started_at": None,
        "finished_at": None,
    }
    assert run_public(run)["actions"] == [] and run_public(run)["late"] is False
