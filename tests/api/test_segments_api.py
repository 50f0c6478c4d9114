"""Segments through HTTP (issue 22): a dynamic segment over customers and their orders kept up
to date by record events (incrementally) and evaluated in full, membership history, enter and
exit events a rule fires on once, a time-based condition following the test clock, static
segments (freeze, add, remove), counts per day, refused conditions with their paths, and
members as the reader may read them; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from cairn.core import FrozenClock
from cairn.services import Services
from cairn.store import system
from cairn.worker.dispatch import Dispatcher

A = "/api/v1/apps/crm"
SEG = f"{A}/segments"
C = f"{A}/tables/customers/records"
ORD = f"{A}/tables/orders/records"

#: "Big spenders": a rollup of their orders over 1,000.
BIG = {"field": "order_total", "op": "gt", "value": 1000}


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json() if r.content else None


def drain(services: Services) -> None:
    Dispatcher(services, services.event_handlers).drain()


def rollup(crm: TestClient) -> None:
    ok(
        crm.post(
            f"{A}/tables/customers/fields",
            json={
                "key": "order_total",
                "type": "rollup",
                "options": {"relation": "orders", "field": "amount", "function": "sum"},
            },
        ),
        201,
    )


def customer(crm: TestClient, name: str, **v: Any) -> int:
    return ok(crm.post(C, json={"name": name, **v}), 201)["id"]


def order(crm: TestClient, cid: int, amount: float) -> dict[str, Any]:
    return ok(crm.post(ORD, json={"title": "o", "amount": amount, "customer": cid}), 201)


def members(crm: TestClient, sid: int) -> list[int]:
    items = ok(crm.get(f"{SEG}/{sid}/members", params={"limit": 200}))["items"]
    return sorted(i["record"]["id"] for i in items)


def segment_events(services: Services) -> list[tuple[str, int | None, str]]:
    """(type, record, cause) of the segment events in the outbox, oldest first."""
    o = system.outbox
    with services.engine.connect() as conn:
        rows = conn.execute(
            sa.select(o.c.type, o.c.record_id, o.c.payload)
            .where(o.c.type.in_(["segment.entered", "segment.exited"]))
            .order_by(o.c.id)
        ).all()
    return [(r[0], r[1], r[2]["cause"]) for r in rows]


def test_a_dynamic_segment_follows_orders_and_customers(
    crm: TestClient, services: Services
) -> None:
    rollup(crm)
    a = customer(crm, "甲")
    b = customer(crm, "乙")
    order(crm, a, 1500)
    s = ok(crm.post(SEG, json={"name": "大客户", "table": "customers", "filter": BIG}), 201)
    assert s["member_count"] == 1 and s["kind"] == "dynamic" and s["refresh"] is None
    assert members(crm, s["id"]) == [a]
    drain(services)
    assert segment_events(services) == []  # the first members are not news

    # b's order pushes b in (an event on a related table), a's deletion takes a out
    o = order(crm, b, 2000)
    ok(crm.delete(f"{C}/{a}"), 204)
    drain(services)
    assert members(crm, s["id"]) == [b]
    assert sorted(segment_events(services)) == [
        ("segment.entered", b, "event"),
        ("segment.exited", a, "event"),
    ]

    # the order moves to a new customer c: b leaves (the link it lost), c enters
    c = customer(crm, "丙")
    ok(crm.patch(f"{ORD}/{o['id']}", json={"version": o["version"], "customer": c}))
    drain(services)
    assert members(crm, s["id"]) == [c]
    hist = ok(crm.get(f"{SEG}/{s['id']}/history"))["items"]
    assert [(h["record_id"], h["change"]) for h in hist][:2] in (
        [(c, "entered"), (b, "left")],
        [(b, "left"), (c, "entered")],
    )
    assert {h["cause"] for h in hist} == {"full", "event"}
    assert hist[-1]["title"] == "甲"
    # a full evaluation agrees and changes nothing
    again = ok(crm.post(f"{SEG}/{s['id']}/evaluate"))
    assert again["entered"] == 0 and again["left"] == 0 and again["member_count"] == 1
    counts = ok(crm.get(f"{SEG}/{s['id']}/counts"))["items"]
    assert counts[-1]["members"] == 1 and counts[-1]["entered"] >= 3
    assert ok(crm.get(f"{A}/tables/customers/records/{c}/segments"))["items"][0]["name"] == "大客户"
    assert ok(crm.get(SEG))["items"][0]["member_count"] == 1


def test_a_rule_fires_once_when_a_customer_enters(crm: TestClient, services: Services) -> None:
    rollup(crm)
    s = ok(crm.post(SEG, json={"name": "大客户", "table": "customers", "filter": BIG}), 201)
    rule = {
        "key": "welcome_vip",
        "name": "欢迎大客户",
        "table": "customers",
        "trigger": {"type": "segment.entered", "segment": s["id"]},
        "actions": [{"type": "update_record", "values": {"tier": '"VIP"'}}],
    }
    r = ok(crm.post(f"{A}/rules", json=rule), 201)
    a = customer(crm, "甲")
    order(crm, a, 600)
    drain(services)
    order(crm, a, 600)  # now 1,200: enters
    drain(services)
    order(crm, a, 10)  # still in: nothing new
    drain(services)
    runs = ok(crm.get(f"{A}/rules/{r['id']}/runs"))["items"]
    assert [x["status"] for x in runs] == ["ok"]
    assert "VIP" in str(ok(crm.get(f"{C}/{a}"))["tier"])
    # a segment of another table (or none) is refused, with its path
    bad = dict(rule, key="x", trigger={"type": "segment.entered", "segment": 999})
    err = crm.post(f"{A}/rules", json=bad)
    assert err.status_code == 422 and "trigger.segment" in err.text


def test_refused_conditions_name_their_path(crm: TestClient, services: Services) -> None:
    for body, where in (
        (
            {
                "name": "x",
                "table": "customers",
                "filter": {"field": "nope", "op": "eq", "value": 1},
            },
            "filter.field",
        ),
        (
            {
                "name": "x",
                "table": "customers",
                "filter": {"and": [{"field": "tier", "op": "gt", "value": 1}]},
            },
            "filter.and.0.op",
        ),
        ({"name": "x", "table": "customers", "filter": {"formula": "{name} +"}}, "filter"),
        ({"name": "x", "table": "nope"}, "table"),
        ({"name": "", "table": "customers"}, "name"),
    ):
        r = crm.post(SEG, json=body)
        assert r.status_code == 422, r.text
        problem = r.json()
        locs = [e["field"] for e in problem["errors"]]
        assert any(loc.startswith(where) for loc in locs), (where, problem)
    assert ok(crm.get(SEG))["items"] == []


def test_time_based_segments_follow_the_clock(
    crm: TestClient, services: Services, frozen_clock: FrozenClock
) -> None:
    a = customer(crm, "甲", signed_on="2025-12-20")
    sleeping = {"formula": "DAYS(TODAY(), {signed_on}) > 30"}
    s = ok(crm.post(SEG, json={"name": "沉睡", "table": "customers", "filter": sleeping}), 201)
    assert s["refresh"] == "daily" and s["member_count"] == 0
    frozen_clock.advance(timedelta(days=20))
    assert services.segments.scan()["evaluated"] == 1
    assert members(crm, s["id"]) == [a]
    assert services.segments.scan()["evaluated"] == 0  # not due again within the day
    hist = ok(crm.get(f"{SEG}/{s['id']}/history"))["items"]
    assert [(h["record_id"], h["cause"]) for h in hist] == [(a, "schedule")]
    preview = ok(crm.post(f"{SEG}/preview", json={"table": "customers", "filter": sleeping}))
    assert preview == {"count": 1, "time_based": True}


def test_static_segments_freeze_add_and_remove(crm: TestClient, services: Services) -> None:
    a = customer(crm, "甲", tier="VIP")
    b = customer(crm, "乙")
    vip = {"field": "tier", "op": "eq", "value": "VIP"}
    s = ok(crm.post(SEG, json={"name": "VIP", "table": "customers", "filter": vip}), 201)
    frozen = ok(crm.post(f"{SEG}/{s['id']}/freeze", json={"name": "VIP 活动名单"}), 201)
    assert frozen["kind"] == "static" and frozen["member_count"] == 1
    ok(crm.post(f"{SEG}/{frozen['id']}/members", json={"ids": [b]}))
    assert members(crm, frozen["id"]) == [a, b]
    ok(crm.delete(f"{SEG}/{frozen['id']}/members", params={"ids": [a]}))
    assert members(crm, frozen["id"]) == [b]
    # static members change only by hand; a dynamic segment takes no hand edits
    assert crm.post(f"{SEG}/{s['id']}/members", json={"ids": [b]}).status_code == 422
    assert crm.post(f"{SEG}/{frozen['id']}/members", json={"ids": [9999]}).status_code == 422
    hist = ok(crm.get(f"{SEG}/{frozen['id']}/history"))["items"]
    h = hist[0]
    assert (h["record_id"], h["change"], h["cause"]) == (a, "left", "manual")
    ok(crm.delete(f"{SEG}/{s['id']}"), 204)
    assert crm.get(f"{SEG}/{s['id']}").status_code == 404


def test_only_conditions_on_the_clock_are_time_based(crm: TestClient) -> None:
    def refresh(cond: Any) -> Any:
        return ok(crm.post(SEG, json={"name": "x", "table": "customers", "filter": cond}), 201)[
            "refresh"
        ]

    assert refresh({"formula": "COUNT({orders}) >= 1"}) is None  # a formula, not on the clock
    assert refresh({"field": "signed_on", "op": "last_n_days", "value": 30}) == "daily"
    assert refresh({"formula": "{last_contact} < NOW()"}) == "daily"
    assert refresh({"field": "tier", "op": "eq", "value": "VIP"}) is None


def test_segments_are_in_the_audit_log(crm: TestClient) -> None:
    s = ok(crm.post(SEG, json={"name": "VIP", "table": "customers"}), 201)
    ok(crm.patch(f"{SEG}/{s['id']}", json={"name": "贵宾"}))
    ok(crm.delete(f"{SEG}/{s['id']}"), 204)
    r = ok(crm.get("/api/v1/audit", params={"target_type": "segment", "limit": 50}))["items"]
    assert [e["action"] for e in reversed(r)] == [
        "segment.create",
        "segment.update",
        "segment.delete",
    ]
    assert r[1]["details"]["after"] == {"name": "贵宾"}


def test_a_segment_whose_field_is_deleted_does_not_block_the_others(
    crm: TestClient, services: Services
) -> None:
    email = {"field": "email", "op": "is_not_empty"}
    broken = ok(crm.post(SEG, json={"name": "邮箱", "table": "customers", "filter": email}), 201)
    vip = {"field": "tier", "op": "eq", "value": "VIP"}
    fine = ok(crm.post(SEG, json={"name": "VIP", "table": "customers", "filter": vip}), 201)
    ok(crm.delete(f"{A}/tables/customers/fields/email"), 204)
    a = customer(crm, "甲", tier="VIP")
    drain(services)
    assert members(crm, fine["id"]) == [a]
    o = system.outbox
    with services.engine.connect() as conn:
        failed = conn.execute(
            sa.select(sa.func.count()).select_from(o).where(o.c.last_error.is_not(None))
        ).scalar_one()
    assert failed == 0
    assert services.segments.scan()["evaluated"] == 0  # neither is time-based
    assert ok(crm.get(f"{SEG}/{broken['id']}"))["member_count"] == 0
