"""One-ID merge and unmerge as services (SQLite and PostgreSQL): merge → edit both → unmerge
gives back each record's own data and related records (relations, many-to-many links,
comments, sub-form rows, process instances); tombstones resolve to the survivor; refusals."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from cairn.auth import cli
from cairn.core import Conflict, FrozenClock, Invalid, NotFound, Settings
from cairn.services import Services, build_services
from cairn.services.identity_merges import merge_auto
from cairn.services.uow import unit_of_work
from cairn.store import system
from cairn.store.tables.identity import identity_merges, identity_suggestions
from factories import make_crm, make_services

C = ("crm", "customers")


@pytest.fixture
def services(db_url: str, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[Services]:
    """crm with customers (+ tags, a sub-form ``contacts``, a many-to-many ``partners``
    self-relation, a ``source``) and orders (one customer each), and products linked to
    customers many-to-many."""
    s = make_services(db_url, tmp_path / "data", frozen_clock)
    make_crm(s)
    sch = s.schema
    sch.create_field(*C, {"key": "source", "type": "text"})
    sch.create_field(
        *C,
        {
            "key": "tags",
            "type": "multi_select",
            "options": {"choices": [{"value": "a"}, {"value": "b"}, {"value": "c"}]},
        },
    )
    sch.create_field(*C, {"key": "contacts", "type": "subform"})
    sch.create_field("crm", "customers_contacts", {"key": "person", "type": "text"})
    sch.create_field(
        *C,
        {
            "key": "partners",
            "type": "relation",
            "options": {"target_table": "customers", "reverse": {"key": "partner_of"}},
        },
    )
    sch.create_table("crm", {"key": "products", "fields": [{"key": "sku", "type": "text"}]})
    sch.create_field(
        "crm",
        "products",
        {
            "key": "buyers",
            "type": "relation",
            "options": {"target_table": "customers", "reverse": {"key": "products"}},
        },
    )
    yield s
    s.close()


def add(s: Services, **values: Any) -> dict[str, Any]:
    return s.records.create(*C, values)


def get(s: Services, rid: int) -> dict[str, Any]:
    return s.records.get(*C, rid)


def process_row(s: Services, record_id: int) -> int:
    """A process instance on a record (the columns the merge re-points)."""
    with unit_of_work(s) as uow:
        table_id = uow.catalog.table(*C).id
        pi = system.process_instances
        return int(
            uow.conn.execute(
                pi.insert()
                .values(
                    definition_id=1,
                    app_id=uow.catalog.app("crm").id,
                    table_id=table_id,
                    record_id=record_id,
                    status="running",
                    state={},
                    state_version=1,
                    meta={},
                    started_at=uow.now,
                    updated_at=uow.now,
                )
                .returning(pi.c.id)
            ).scalar_one()
        )


def process_record(s: Services, instance_id: int) -> int:
    with unit_of_work(s) as uow:
        pi = system.process_instances
        q = sa.select(pi.c.record_id).where(pi.c.id == instance_id)
        return int(uow.conn.execute(q).scalar_one())


def events(s: Services, kind: str) -> list[Any]:
    with unit_of_work(s) as uow:
        o = system.outbox
        return list(uow.conn.execute(sa.select(o).where(o.c.type == kind)))


def audits(s: Services, action: str) -> list[Any]:
    with unit_of_work(s) as uow:
        a = system.audit_log
        return list(uow.conn.execute(sa.select(a).where(a.c.action == action)))


def test_merge_edit_both_unmerge_gives_each_its_own(services: Services) -> None:
    s = services
    p1 = s.records.create("crm", "products", {"sku": "P1"})["id"]
    p2 = s.records.create("crm", "products", {"sku": "P2"})["id"]
    other = add(s, name="伙伴")["id"]
    surv = add(
        s,
        name="华东航空",
        phone="13800138000",
        tags=["a"],
        contacts=[{"person": "张三"}],
        products=[p1],
    )
    lose = add(
        s,
        name="华东航空公司",
        email="ops@hd.example",
        phone="13900139000",
        tags=["b"],
        contacts=[{"person": "李四"}, {"person": "王五"}],
        products=[p1, p2],
        partners=[other],
    )
    o1 = s.records.create("crm", "orders", {"title": "o1", "customer": lose["id"]})["id"]
    o2 = s.records.create("crm", "orders", {"title": "o2", "customer": surv["id"]})["id"]
    comment = s.comments.add(*C, lose["id"], "老客户", cli())["id"]
    instance = process_row(s, lose["id"])

    preview = s.merges.preview(*C, surv["id"], lose["id"])
    by_key = {f["key"]: f for f in preview["fields"]}
    assert by_key["email"]["proposed"] == "ops@hd.example" and by_key["email"]["origin"] == "loser"
    assert by_key["name"]["origin"] == "survivor"
    assert by_key["tags"]["proposed"] == ["a", "b"] and by_key["tags"]["origin"] == "union"
    assert by_key["products"]["merge"] == "links" and by_key["products"]["proposed"] == [p1, p2]
    related = {(r["kind"], r["table"]): r["count"] for r in preview["related"]}
    assert related[("links", "orders")] == 1 and related[("comments", None)] == 1
    assert related[("rows", "customers_contacts")] == 2

    m = s.merges.merge(*C, surv["id"], lose["id"], choices={"phone": "loser"})
    assert m["status"] == "merged" and m["choices"]["email"] == "loser"
    merged = s.records.get(*C, surv["id"])
    assert merged["email"] == "ops@hd.example" and merged["phone"] == "+8613900139000"
    assert merged["tags"] == ["a", "b"] and sorted(merged["products"]) == [p1, p2]
    assert sorted(merged["orders"]) == sorted([o1, o2]) and merged["partners"] == [other]
    assert [r["person"] for r in merged["contacts"]] == ["张三", "李四", "王五"]
    assert process_record(s, instance) == surv["id"]
    assert [c["id"] for c in s.comments.list(*C, surv["id"], cli())] == [comment]
    # The tombstone resolves to the survivor, and a link written with its id as well.
    resolved = get(s, lose["id"])
    assert resolved["id"] == surv["id"] and resolved["merged_into"] == surv["id"]
    o3 = s.records.create("crm", "orders", {"title": "o3", "customer": lose["id"]})
    assert o3["customer"] == surv["id"]
    assert s.recycle_bin.list(*C)["items"] == []
    assert len(events(s, "record.merged")) == 1 and len(audits(s, "record.merge")) == 1

    # Both sides edited after the merge: the survivor's later edit stays.
    cur = get(s, surv["id"])
    s.records.update(*C, surv["id"], {"version": cur["version"], "email": "new@hd.example"})
    s.records.update("crm", "orders", o1, {"version": 2, "title": "o1 edited"})

    back = s.merges.unmerge(*C, m["id"])
    assert back["status"] == "unmerged" and back["skipped"] == []
    a, b = get(s, surv["id"]), get(s, lose["id"])
    assert b["id"] == lose["id"] and "merged_into" not in b
    assert a["email"] == "new@hd.example"  # edited since the merge: kept
    assert a["phone"] == "+8613800138000" and b["phone"] == "+8613900139000"
    assert a["tags"] == ["a"] and b["tags"] == ["b"]
    assert b["email"] == "ops@hd.example" and b["name"] == "华东航空公司"
    assert a["products"] == [p1] and sorted(b["products"]) == [p1, p2]
    assert sorted(a["orders"]) == [o2, o3["id"]] and b["orders"] == [o1]
    assert a["partners"] == [] and b["partners"] == [other]
    assert [r["person"] for r in a["contacts"]] == ["张三"]
    assert [r["person"] for r in b["contacts"]] == ["李四", "王五"]
    assert process_record(s, instance) == lose["id"]
    assert [c["id"] for c in s.comments.list(*C, lose["id"], cli())] == [comment]
    assert s.records.get("crm", "orders", o1)["title"] == "o1 edited"
    assert len(events(s, "record.unmerged")) == 1 and len(audits(s, "record.unmerge")) == 1
    assert s.merges.list(*C, record_id=lose["id"])["items"][0]["status"] == "unmerged"


def test_unmerge_skips_what_was_deleted_since(services: Services) -> None:
    s = services
    surv, lose = add(s, name="A")["id"], add(s, name="B")["id"]
    order = s.records.create("crm", "orders", {"title": "o", "customer": lose})["id"]
    m = s.merges.merge(*C, surv, lose)
    assert m["moved_counts"] == {"links": 1}
    s.records.delete("crm", "orders", order)
    s.records.update(*C, surv, {"version": get(s, surv)["version"], "orders": []})
    back = s.merges.unmerge(*C, m["id"])
    assert back["skipped"] and back["skipped"][0]["ids"] == [order]
    assert get(s, lose)["orders"] == []


def test_refusals(services: Services) -> None:
    s = services
    a, b, c = add(s, name="A")["id"], add(s, name="B")["id"], add(s, name="C")["id"]
    with pytest.raises(Invalid):
        s.merges.merge(*C, a, a)
    with pytest.raises(Invalid):
        s.merges.merge(*C, a, b, loser_table="orders")
    with pytest.raises(Invalid):
        s.merges.merge(*C, a, b, choices={"orders": "loser"})
    with pytest.raises(Invalid):
        s.merges.merge(*C, a, b, choices={"email": "both"})
    with pytest.raises(NotFound):
        s.merges.merge(*C, a, 999)
    rows = get(s, add(s, name="D", contacts=[{"person": "x"}, {"person": "y"}])["id"])["contacts"]
    with pytest.raises(Invalid):  # a sub-form's rows merge with their parents only
        s.merges.merge("crm", "customers_contacts", rows[0]["id"], rows[1]["id"])
    m = s.merges.merge(*C, a, b)
    # The loser is a tombstone: no second merge, no restore or purge from the bin.
    with pytest.raises(Conflict):
        s.merges.merge(*C, c, b)
    with pytest.raises(Conflict):
        s.records.restore(*C, b)
    with pytest.raises(Conflict):
        s.recycle_bin.purge(*C, b)
    # A survivor merged again later: undo that merge first.
    m2 = s.merges.merge(*C, c, a)
    with pytest.raises(Conflict):
        s.merges.unmerge(*C, m["id"])
    assert get(s, b)["id"] == c  # the chain resolves to the last survivor
    s.merges.unmerge(*C, m2["id"])
    s.merges.unmerge(*C, m["id"])
    with pytest.raises(Conflict):
        s.merges.unmerge(*C, m["id"])


def test_stale_versions_get_409(services: Services) -> None:
    """Two merges of one record prepared from the same preview: the first wins."""
    s = services
    a, b, c = add(s, name="A")["id"], add(s, name="B")["id"], add(s, name="C")["id"]
    pv = s.merges.preview(*C, a, b)
    s.merges.merge(
        *C, a, b, survivor_version=pv["survivor"]["version"], loser_version=pv["loser"]["version"]
    )
    with pytest.raises(Conflict):
        s.merges.merge(*C, c, b, loser_version=pv["loser"]["version"])
    with pytest.raises(Conflict):
        s.merges.merge(*C, a, c, survivor_version=pv["survivor"]["version"])


def test_merge_auto_merges_newer_into_older_and_skips_the_rest(
    services: Services, frozen_clock: FrozenClock
) -> None:
    s = services
    old = add(s, name="老", email="x@example.com")["id"]
    frozen_clock.advance(timedelta(minutes=1))
    new = add(s, name="新", phone="13800138000")["id"]
    with unit_of_work(s) as uow:
        t = uow.catalog.table(*C).id
        ins = identity_suggestions.insert().returning(identity_suggestions.c.id)
        row = {"table_id": t, "score": 100, "evidence": {}, "created_at": uow.now}
        sug = uow.conn.execute(ins.values(record_a=old, record_b=new, **row)).scalar_one()
        bad = uow.conn.execute(ins.values(record_a=old, record_b=999, **row)).scalar_one()
    out = merge_auto(s, t, [sug, bad])
    assert len(out["merged"]) == 1 and out["skipped"][0]["suggestion_id"] == bad
    kept = get(s, old)
    assert kept["id"] == old and kept["phone"] == "+8613800138000" and kept["name"] == "老"
    with unit_of_work(s) as uow:
        q = sa.select(identity_suggestions.c.status).where(identity_suggestions.c.id == sug)
        assert uow.conn.execute(q).scalar_one() == "merged"


def test_sensitive_values_stay_encrypted_in_the_merge_row(
    db_url: str, tmp_path: Path, frozen_clock: FrozenClock
) -> None:
    """A merge row keeps both records' values for unmerge: a field encrypted at rest is kept
    encrypted there too (and sealed in the audit entry), and unmerge still gives it back."""
    key = "k1:" + base64.b64encode(b"1" * 32).decode()
    s = build_services(
        Settings(data_dir=tmp_path / "d", database_url=db_url, encryption_keys=key),
        clock=frozen_clock,
    )
    try:
        make_crm(s)
        s.schema.update_field(*C, "phone", {"options": {"sensitive": True}})
        a = add(s, name="A")["id"]
        b = add(s, name="B", phone="13800138001")["id"]
        m = s.merges.merge(*C, a, b)
        assert get(s, a)["phone"] == "+8613800138001"
        with unit_of_work(s) as uow:
            t = identity_merges
            row = uow.conn.execute(sa.select(t).where(t.c.id == m["id"])).one()
        assert "13800138001" not in json.dumps([row.loser_values, row.survivor_values, row.choices])
        [entry] = audits(s, "record.merge")
        assert "13800138001" not in json.dumps(entry.details)
        s.merges.unmerge(*C, m["id"])
        assert get(s, a)["phone"] is None and get(s, b)["phone"] == "+8613800138001"
    finally:
        s.close()


def test_links_between_the_two_and_a_single_relation_come_back(services: Services) -> None:
    """A self-relation linking the pair is dropped (no record links itself) and a single
    relation the survivor has filled keeps the survivor's link; unmerge restores both."""
    s = services
    s.schema.create_field(
        *C,
        {
            "key": "parent",
            "type": "relation",
            "options": {"target_table": "customers", "multiple": False, "reverse": {"key": "kids"}},
        },
    )
    top1, top2 = add(s, name="T1")["id"], add(s, name="T2")["id"]
    a = add(s, name="A", parent=top1)["id"]
    b = add(s, name="B", parent=top2, partners=[a])["id"]
    m = s.merges.merge(*C, a, b)
    merged = get(s, a)
    assert merged["parent"] == top1 and merged["partners"] == []
    assert get(s, top2)["kids"] == []
    s.merges.unmerge(*C, m["id"])
    assert get(s, a)["parent"] == top1 and get(s, b)["parent"] == top2
    assert get(s, b)["partners"] == [a] and get(s, a)["partner_of"] == [b]
