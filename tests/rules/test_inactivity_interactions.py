"""Inactivity counted from interactions (issue 22), on SQLite and PostgreSQL with a test
clock: a logged call starts a new quiet spell; an interaction of a kind not listed does not;
an empty list counts every kind; an unknown kind is refused by its place."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from cairn.auth import cli
from cairn.core import FrozenClock
from cairn.rules.spec import InactivityTrigger
from cairn.services import Services
from rules.test_inactivity import make_quiet_app, names
from rulesdata import Worker


def rule(kinds: list[str], days: int = 10, relation: bool = False) -> dict[str, Any]:
    sources: list[dict[str, Any]] = [{"interactions": kinds}]
    if relation:
        sources.append({"relation": "visits"})
    return {
        "key": "quiet_calls",
        "name": "Quiet",
        "table": "customers",
        "trigger": {"type": "inactivity", "sources": sources, "days": days},
        "actions": [{"type": "update_record", "values": {"name": '{name} & "!"'}}],
    }


def log(services: Services, rid: int, kind: str) -> None:
    services.interactions.log("quiet", "customers", rid, {"kind": kind}, cli())


@pytest.mark.parametrize("kinds", [["call"], []], ids=["calls", "any"])
def test_a_logged_call_resets_the_quiet_spell(
    services: Services, frozen_clock: FrozenClock, kinds: list[str]
) -> None:
    make_quiet_app(services)
    r = services.records
    t0 = frozen_clock.now()
    a = r.create("quiet", "customers", {"name": "A"})["id"]
    b = r.create("quiet", "customers", {"name": "B"})["id"]
    services.rules.create(cli(), "quiet", rule(kinds, relation=True))
    worker = Worker(services)
    frozen_clock.set(t0 + timedelta(days=5))
    log(services, b, "call")
    log(services, a, "visit")  # counts only when every kind does
    frozen_clock.set(t0 + timedelta(days=10, minutes=1))
    worker.tick()
    # A: quiet since its creation unless the visit counted; B called 5 days ago
    assert names(services) == ({"A!", "B"} if kinds else {"A", "B"})
    frozen_clock.set(t0 + timedelta(days=15, minutes=1))
    worker.tick()
    worker.tick()
    assert names(services) == {"A!", "B!"}  # once per spell
    # another call starts another spell, which fires once more when it has lasted
    log(services, b, "call")
    frozen_clock.set(frozen_clock.now() + timedelta(days=10, minutes=1))
    worker.tick()
    assert "B!!" in names(services)


def test_interaction_sources_are_checked(services: Services) -> None:
    make_quiet_app(services)
    body = rule(["call", "fax"])
    out = services.rules.validate(cli(), "quiet", body)
    assert list(out["errors"]) == ["trigger.sources.0.interactions.1"]
    with pytest.raises(ValueError, match="either relation or interactions"):
        InactivityTrigger.model_validate(
            {
                "type": "inactivity",
                "sources": [{"relation": "calls", "interactions": []}],
                "days": 3,
            }
        )
    with pytest.raises(ValueError, match="no date_field"):
        InactivityTrigger.model_validate(
            {"type": "inactivity", "sources": [{"interactions": [], "date_field": "on"}], "days": 3}
        )
