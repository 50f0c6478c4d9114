"""Tags in rules: the add_tag / remove_tag actions (source rule, idempotent on a replayed
event, unknown tags refused with their path when the rule is saved), and a rule whose
trigger filter is a tag condition."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from cairn.core import FrozenClock
from cairn.services import Services
from cairn.services.uow import unit_of_work
from cairn.store import system
from cairn.store.outbox import OutboxEvent
from rulesdata import Worker

A = "/api/v1/apps/crm"
R = f"{A}/tables/customers/records"
RULES = f"{A}/rules"


def tag(c: TestClient, name: str) -> int:
    r = c.post(f"{A}/tags", json={"name": name})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def tags_of(c: TestClient, rid: int) -> list[tuple[str, str]]:
    return [(t["name"], t["source"]) for t in c.get(f"{R}/{rid}/tags").json()["items"]]


def rule(c: TestClient, key: str, trigger: dict[str, Any], actions: list[Any]) -> Any:
    body = {"key": key, "name": key, "table": "customers", "trigger": trigger, "actions": actions}
    return c.post(RULES, json=body)


def test_rules_add_and_remove_tags_once_and_refuse_unknown_ones(
    crm: TestClient, services: Services
) -> None:
    worker = Worker(services)
    vip, new, gold = tag(crm, "VIP"), tag(crm, "新客"), tag(crm, "金卡")
    r = rule(
        crm,
        "tag_new",
        {"type": "record.created"},
        [{"type": "add_tag", "tags": [new]}],
    )
    assert r.status_code == 201, r.text
    r = crm.post(
        RULES,
        json={
            "key": "vip",
            "name": "VIP",
            "table": "customers",
            "trigger": {"type": "record.updated", "fields": ["tier"]},
            "condition": '{tier} = "VIP"',
            "actions": [
                {"type": "add_tag", "tags": [vip, gold]},
                {"type": "remove_tag", "tags": [new]},
            ],
        },
    )
    assert r.status_code == 201, r.text
    bad = rule(crm, "bad", {"type": "record.created"}, [{"type": "add_tag", "tags": [vip, 777]}])
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["actions.0.tags.1"]
    none = rule(crm, "none", {"type": "record.created"}, [{"type": "remove_tag", "tags": []}])
    assert none.status_code == 422
    assert [(e["field"], e["message"]) for e in none.json()["errors"]] == [
        ("actions.0.tags", "Choose at least one tag.")
    ]
    created = crm.post(R, json={"name": "甲"}).json()
    rid = created["id"]
    worker.drain()
    assert tags_of(crm, rid) == [("新客", "rule")]
    r = crm.patch(f"{R}/{rid}", json={"tier": "VIP", "version": created["version"]})
    assert r.status_code == 200, r.text
    worker.drain()
    assert sorted(tags_of(crm, rid)) == [("VIP", "rule"), ("金卡", "rule")]
    # The same event delivered again: no second effect, no new tag events.
    o = system.outbox
    with unit_of_work(services, write=False) as uow:
        row = uow.conn.execute(o.select().where(o.c.type == "record.updated")).all()[-1]
        before = uow.conn.execute(
            sa.select(sa.func.count()).where(o.c.type.in_(["record.tagged", "record.untagged"]))
        ).scalar()
    services.rule_engine.handle(OutboxEvent.from_row(row))
    worker.drain()
    with unit_of_work(services, write=False) as uow:
        after = uow.conn.execute(
            sa.select(sa.func.count()).where(o.c.type.in_(["record.tagged", "record.untagged"]))
        ).scalar()
    assert before == after == 3
    assert sorted(tags_of(crm, rid)) == [("VIP", "rule"), ("金卡", "rule")]


def test_a_scheduled_rule_acts_on_the_records_its_tag_filter_selects(
    crm: TestClient, services: Services, frozen_clock: FrozenClock
) -> None:
    worker = Worker(services)
    vip, flag = tag(crm, "VIP"), tag(crm, "已关注")
    trigger = {
        "type": "schedule",
        "cron": "0 9 * * *",
        "filter": {"and": [{"field": "_tags", "op": "has_any", "value": [vip]}]},
    }
    bad = {**trigger, "filter": {"and": [{"field": "_tags", "op": "has_any", "value": [999]}]}}
    r = rule(crm, "bad", bad, [{"type": "add_tag", "tags": [flag]}])
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["trigger.filter.and.0.value.0"]
    r = rule(crm, "watch_vip", trigger, [{"type": "add_tag", "tags": [flag]}])
    assert r.status_code == 201, r.text
    a = crm.post(R, json={"name": "甲"}).json()["id"]
    b = crm.post(R, json={"name": "乙"}).json()["id"]
    crm.post(f"{R}/{a}/tags", json={"tag_id": vip})
    services.rules.scan()
    frozen_clock.advance(timedelta(days=1))
    services.rules.scan()
    worker.drain()
    assert [n for n, _ in tags_of(crm, a)] == ["VIP", "已关注"]
    assert tags_of(crm, b) == []
