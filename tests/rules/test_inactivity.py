"""Inactivity across one or several related tables, dated by a date field, a datetime field or
the linked record's creation, in every combination, on SQLite and PostgreSQL: the forecast and
the worker's scan agree on when each quiet spell ends, and each fires once. (A date source once
made the forecast fail on SQLite: ``coalesce(max(date), created_at)`` read back as a date.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import combinations
from typing import Any

import pytest

from cairn.auth import cli
from cairn.core import FrozenClock
from cairn.rules.spec import InactivityTrigger
from cairn.services import Services
from rulesdata import Worker

#: source table → its date field (None: the linked record's creation counts)
SOURCES: dict[str, str | None] = {"calls": "on", "orders": "at", "visits": None}
#: when B's linked record in each source happened (UTC): what the source's moment is
MOMENTS = {
    "calls": datetime(2026, 1, 6),  # a date: its midnight
    "orders": datetime(2026, 1, 6, 12, 0),
    "visits": datetime(2026, 1, 6, 9, 0),  # created a day after the customers
}
COMBINATIONS = [c for n in (1, 2, 3) for c in combinations(SOURCES, n)]


def make_quiet_app(s: Services) -> None:
    s.apps.create({"key": "quiet", "name": "Quiet"})
    s.schema.create_table(
        "quiet",
        {
            "key": "customers",
            "name": "客户",
            "fields": [{"key": "name", "name": "名称", "type": "text"}],
        },
    )
    for table, field, kind in (
        ("calls", "on", "date"),
        ("orders", "at", "datetime"),
        ("visits", None, None),
    ):
        fields = [{"key": "note", "name": "内容", "type": "text"}]
        if field is not None:
            fields.append({"key": field, "name": field, "type": kind})
        s.schema.create_table("quiet", {"key": table, "name": table, "fields": fields})
        s.schema.create_field(
            "quiet",
            table,
            {
                "key": "customer",
                "name": "客户",
                "type": "relation",
                "options": {
                    "target_table": "customers",
                    "multiple": False,
                    "reverse": {"key": table, "name": table, "multiple": True},
                },
            },
        )


def rule(sources: tuple[str, ...], days: int = 10) -> dict[str, Any]:
    return {
        "key": "quiet_" + "_".join(sources),
        "name": "Quiet",
        "table": "customers",
        "trigger": {
            "type": "inactivity",
            "sources": [{"relation": t, "date_field": SOURCES[t]} for t in sources],
            "days": days,
        },
        "actions": [{"type": "update_record", "values": {"name": '{name} & "!"'}}],
    }


@pytest.mark.parametrize("sources", COMBINATIONS, ids=["+".join(c) for c in COMBINATIONS])
def test_a_quiet_spell_ends_at_the_newest_activity_of_any_source(
    services: Services, frozen_clock: FrozenClock, sources: tuple[str, ...]
) -> None:
    make_quiet_app(services)
    r = services.records
    t0 = frozen_clock.now().replace(tzinfo=None)
    a = r.create("quiet", "customers", {"name": "A"})["id"]  # nothing linked: its creation
    b = r.create("quiet", "customers", {"name": "B"})["id"]
    frozen_clock.advance(timedelta(days=1))
    r.create("quiet", "calls", {"note": "x", "on": "2026-01-06", "customer": b})
    r.create("quiet", "orders", {"note": "x", "at": "2026-01-06T20:00:00+08:00", "customer": b})
    r.create("quiet", "visits", {"note": "x", "customer": b})
    made = services.rules.create(cli(), "quiet", rule(sources))
    expected = {
        a: t0 + timedelta(days=10),
        b: max(MOMENTS[t] for t in sources) + timedelta(days=10),
    }
    fc = services.rules.forecast(cli(), "quiet", made["id"], 30)
    got = {i["record_id"]: i["due_at"] for i in fc["items"]}
    assert got == {k: v.isoformat(timespec="seconds") + "Z" for k, v in expected.items()}
    assert fc["total"] == 2 and sum(d["count"] for d in fc["per_day"]) == 2
    worker = Worker(services)
    frozen_clock.set(min(expected.values()).replace(tzinfo=UTC) - timedelta(minutes=1))
    worker.tick()
    assert names(services) == {"A", "B"}  # not quiet long enough yet
    frozen_clock.set(max(expected.values()).replace(tzinfo=UTC) + timedelta(minutes=1))
    worker.tick()
    worker.tick()
    assert names(services) == {"A!", "B!"}  # each once per quiet spell


def names(services: Services) -> set[str]:
    items = services.records.query("quiet", "customers", limit=10, principal=cli())["items"]
    return {x["name"] for x in items}


def test_the_first_shape_of_an_inactivity_trigger_is_one_source() -> None:
    t = InactivityTrigger.model_validate(
        {"type": "inactivity", "relation": "calls", "date_field": "on", "days": 3}
    )
    assert [(x.relation, x.date_field) for x in t.sources] == [("calls", "on")]
    with pytest.raises(ValueError, match="at least 1"):
        InactivityTrigger.model_validate({"type": "inactivity", "sources": [], "days": 3})


def test_an_unknown_source_is_named_by_its_place(services: Services) -> None:
    make_quiet_app(services)
    body = rule(("calls", "orders"))
    body["trigger"]["sources"][1] = {"relation": "name", "date_field": None}
    out = services.rules.validate(cli(), "quiet", body)
    assert list(out["errors"]) == ["trigger.sources.1.relation"]
    body["trigger"]["sources"][1] = {"relation": "orders", "date_field": "note"}
    out = services.rules.validate(cli(), "quiet", body)
    assert list(out["errors"]) == ["trigger.sources.1.date_field"]


# -- a date inside the window --------------------------------------------------------------------
@pytest.mark.parametrize("inside", ["fire_now", "skip"])
def test_a_date_entered_inside_the_window_fires_now_or_is_skipped(
    services: Services, frozen_clock: FrozenClock, users: dict[str, int], inside: str
) -> None:
    made = services.rules.create(
        cli(),
        "ops",
        {
            "key": "renewal",
            "name": "Renewal",
            "table": "customers",
            "trigger": {
                "type": "date",
                "field": "insurance_expiry",
                "offset": -30,
                "at": "09:00",
                "inside_window": inside,
            },
            "actions": [{"type": "update_record", "values": {"name": '{name} & "!"'}}],
        },
    )
    r = services.records
    r.create("ops", "customers", {"name": "Soon", "insurance_expiry": "2026-01-15"})
    r.create("ops", "customers", {"name": "Later", "insurance_expiry": "2026-02-20"})
    fc = services.rules.forecast(cli(), "ops", made["id"], 30)
    due = [i["due_at"] for i in fc["items"]]
    later = "2026-01-21T01:00:00Z"  # 30 days before 20 February, 09:00 in Shanghai
    assert due == ([later] if inside == "skip" else ["2025-12-16T01:00:00Z", later])
    worker = Worker(services)
    worker.tick()
    frozen_clock.advance(timedelta(days=17))
    worker.tick()
    worker.tick()
    got = {x["name"] for x in r.query("ops", "customers", limit=10, principal=cli())["items"]}
    assert got == ({"Soon", "Later!"} if inside == "skip" else {"Soon!", "Later!"})
