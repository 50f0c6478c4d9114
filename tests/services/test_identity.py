"""One-ID through the services, on SQLite and PostgreSQL: rules checked, resolution on
create, update, import, delete and restore, "not the same" remembered, matching through a
relation, auto-merge pairs, and the find-duplicates job with progress, cancel and resume."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from cairn.auth import cli
from cairn.core import Invalid, NotFound
from cairn.identity import find_run
from cairn.services import Services
from cairn.services.identity_merges import merge_pending_auto
from cairn.store.tables.identity import identity_blocks, identity_suggestions
from factories import make_services
from identitydata import VINS, make_people, mobile_rule, name_rule


@pytest.fixture
def people(services: Services) -> Services:
    make_people(services)
    return services


def add(s: Services, **values: Any) -> int:
    return s.records.create("crm", "people", values)["id"]


def pairs(s: Services, status: str = "open") -> list[tuple[int, int, str | None]]:
    got = s.identity.duplicates("crm", "people", status=status)["items"]
    return [(i["record_a"]["id"], i["record_b"]["id"], i["rule"]["name"]) for i in got]


def blocks_of(s: Services, record_id: int) -> int:
    with s.engine.connect() as conn:
        b = identity_blocks.c
        q = sa.select(sa.func.count()).where(b.record_id == record_id)
        return conn.execute(q).scalar_one()


def errors(e: pytest.ExceptionInfo[Invalid]) -> set[str]:
    return set(e.value.field_errors)


def test_rules_are_checked_part_by_part(people: Services) -> None:
    bad = {
        "name": "",
        "kind": "combo",
        "threshold": 120,
        "parts": [
            {"field": "nope", "compare": "exact"},
            {"field": "mobile", "compare": "fuzzy"},
            {"field": "vin", "via": "name", "compare": "exact"},
        ],
    }
    with pytest.raises(Invalid) as e:
        people.identity_rules.create("crm", "people", bad)
    assert errors(e) == {"name", "threshold", "parts.0.field", "parts.1.compare", "parts.2.via"}
    with pytest.raises(Invalid) as e:
        people.identity_rules.create("crm", "people", mobile_rule(parts=[{"field": "name"}] * 2))
    assert "parts" in errors(e)
    assert people.identity_rules.list("crm", "people") == []


def test_a_create_with_a_known_mobile_is_suggested_once(people: Services) -> None:
    people.identity_rules.create("crm", "people", mobile_rule())
    a = add(people, name="张伟", mobile="13800138000")
    b = add(people, name="张伟", mobile="138 0013 8000")
    add(people, name="李娜", mobile="13900139000")
    assert pairs(people) == [(a, b, "手机相同")]
    item = people.identity.duplicates("crm", "people")["items"][0]
    assert item["record_a"]["values"]["name"] == "张伟" and item["record_a"]["title"] == "张伟"
    assert item["evidence"][0]["field"] == "mobile"
    # written again: the same pair, still one
    people.records.update("crm", "people", b, {"version": 1, "name": "张 伟"})
    assert pairs(people) == [(a, b, "手机相同")]


def test_an_update_that_makes_records_alike_is_found(people: Services) -> None:
    people.identity_rules.create("crm", "people", name_rule())
    a = add(people, name="Wang Xiaoming", city="上海")
    b = add(people, name="Wang Xiaomin", city="北京")
    assert pairs(people) == []
    people.records.update("crm", "people", b, {"version": 1, "city": "上海"})
    assert pairs(people) == [(a, b, "姓名+城市")]


def test_not_the_same_is_remembered(people: Services) -> None:
    people.identity_rules.create("crm", "people", mobile_rule())
    a = add(people, name="父", mobile="13800138000")
    b = add(people, name="子", mobile="13800138000")
    (item,) = people.identity.duplicates("crm", "people")["items"]
    done = people.identity.decide("crm", "people", item["id"], "not_same", cli())
    assert done["status"] == "not_same"
    people.records.update("crm", "people", b, {"version": 1, "name": "儿子"})
    job = people.identity_jobs.start("crm", "people")
    people.identity_jobs.work()
    assert people.identity_jobs.get("crm", "people", job["id"])["found"] == 0
    assert pairs(people) == [] and pairs(people, "not_same") == [(a, b, "手机相同")]
    with pytest.raises(Invalid):
        people.identity.decide("crm", "people", item["id"], "merge", cli())


def test_bulk_decisions_count_what_changed(people: Services) -> None:
    people.identity_rules.create("crm", "people", mobile_rule())
    for _ in range(3):
        add(people, name="x", mobile="13800138000")
    ids = [i["id"] for i in people.identity.duplicates("crm", "people")["items"]]
    assert len(ids) == 3
    assert people.identity.decide_many("crm", "people", [*ids, 999], "later") == {"updated": 3}
    assert len(pairs(people, "later")) == 3 and pairs(people) == []


def test_delete_drops_blocks_and_open_pairs_restore_brings_them_back(people: Services) -> None:
    people.identity_rules.create("crm", "people", mobile_rule())
    a = add(people, name="a", mobile="13800138000")
    b = add(people, name="b", mobile="13800138000")
    people.records.delete("crm", "people", b)
    assert blocks_of(people, b) == 0 and pairs(people) == []
    people.records.restore("crm", "people", b)
    assert blocks_of(people, b) == 1 and pairs(people) == [(a, b, "手机相同")]


def test_a_key_through_a_relation_matches(people: Services) -> None:
    people.identity_rules.create(
        "crm",
        "people",
        {"name": "同一辆车", "kind": "exact", "parts": [{"field": "vin", "via": "vehicle"}]},
    )
    v = people.records.create("crm", "vehicles", {"vin": VINS[0]})["id"]
    a = add(people, name="甲", vehicle=[v])
    b = add(people, name="乙", vehicle=[v])
    assert pairs(people) == [(a, b, "同一辆车")]
    found = people.identity.match("crm", "people", {"vehicle.vin": VINS[0].lower()})
    assert [c["record_id"] for c in found["candidates"]] == [a, b]
    assert found["candidates"][0]["evidence"][0]["field"] == "vehicle.vin"


def test_an_auto_merge_rule_files_its_pairs_as_auto(people: Services) -> None:
    people.identity_rules.create("crm", "people", mobile_rule(action="auto_merge"))
    a = add(people, name="a", mobile="13800138000")
    b = add(people, name="b", mobile="13800138000")
    assert pairs(people, "auto") == [(a, b, "手机相同")] and pairs(people) == []


def test_auto_merge_pairs_are_merged_after_the_write_and_unmerge_refiles(
    people: Services,
) -> None:
    people.identity_rules.create("crm", "people", mobile_rule(action="auto_merge"))
    a = add(people, name="王芳", mobile="13800138000")
    b = add(people, name="王芳", mobile="138-0013-8000", city="上海")
    c = add(people, name="赵磊", mobile="13900139000")
    assert merge_pending_auto(people) == 1
    assert pairs(people, "auto") == [] and pairs(people, "merged") == [(a, b, "手机相同")]
    survivor = people.records.get("crm", "people", b)  # the newer one went into the older
    assert survivor["id"] == a and survivor["merged_into"] == a and survivor["city"] == "上海"
    assert blocks_of(people, b) == 0 and merge_pending_auto(people) == 0
    merge = people.merges.list("crm", "people", record_id=a)["items"][0]
    people.merges.unmerge("crm", "people", merge["id"])
    # the loser is filed under its keys again; the pair is remembered as not the same
    assert blocks_of(people, b) > 0 and pairs(people, "not_same") == [(a, b, "手机相同")]
    assert pairs(people, "auto") == [] and blocks_of(people, c) > 0


def test_an_auto_merge_pair_that_cannot_be_merged_waits_in_the_queue(people: Services) -> None:
    people.identity_rules.create("crm", "people", mobile_rule(action="auto_merge"))
    a = add(people, name="a", mobile="13800138000")
    b = add(people, name="b", mobile="13800138000")
    with people.engine.begin() as conn:  # as if a record vanished under the worker
        sug = identity_suggestions.c
        conn.execute(sa.update(identity_suggestions).values(record_b=b + 1000))
    assert merge_pending_auto(people) == 0
    with people.engine.connect() as conn:
        assert conn.execute(sa.select(sug.status)).scalar_one() == "open"
    assert a < b


def test_an_import_batch_is_resolved(people: Services) -> None:
    people.identity_rules.create("crm", "people", mobile_rule())
    a = add(people, name="张三", mobile="13800138000")
    data = io.BytesIO("姓名,手机\r\n张三丰,138-0013-8000\r\n李四,13900139000\r\n".encode())
    up = people.imports.upload("crm", "people", "p.csv", data, cli())
    people.imports.start(
        "crm", "people", up["id"], {"mode": "insert"}, dry_run=False, principal=cli()
    )
    people.import_runs.work()
    assert people.imports.get("crm", "people", up["id"])["counts"]["created"] == 2
    ((x, y, _),) = pairs(people)
    assert x == a and y > a


def test_a_rule_added_later_files_existing_records(people: Services) -> None:
    a = add(people, name="a", mobile="13800138000")
    b = add(people, name="b", mobile="13800138000")
    assert blocks_of(people, a) == 0
    rule = people.identity_rules.create("crm", "people", mobile_rule())
    assert blocks_of(people, a) == 1 and blocks_of(people, b) == 1
    assert pairs(people) == []  # filing finds no pairs: the find-duplicates job does
    people.identity_jobs.start("crm", "people")
    people.identity_jobs.work()
    assert pairs(people) == [(a, b, "手机相同")]
    people.identity_rules.update("crm", "people", rule["id"], {"enabled": False})
    assert blocks_of(people, a) == 0
    people.identity_rules.delete("crm", "people", rule["id"])
    with pytest.raises(NotFound):
        people.identity_rules.update("crm", "people", rule["id"], {"enabled": True})


def test_find_duplicates_reports_progress_cancels_and_resumes(
    people: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    people.identity_rules.create("crm", "people", mobile_rule())
    ids = [add(people, name=f"n{i}", mobile=f"1380013800{i % 3}") for i in range(7)]
    monkeypatch.setattr(find_run, "BATCH", 2)
    job = people.identity_jobs.start("crm", "people")
    assert people.identity_jobs.start("crm", "people")["id"] == job["id"]  # one at a time
    calls = {"n": 0}

    def stop_after_two() -> bool:
        calls["n"] += 1
        return calls["n"] > 3  # the claim's check, then two batches

    people.identity_jobs.work(stop=stop_after_two)
    half = people.identity_jobs.get("crm", "people", job["id"])
    assert half["status"] == "queued" and half["done"] == 4 and half["total"] == 7
    people.identity_jobs.work()
    done = people.identity_jobs.get("crm", "people", job["id"])
    assert (done["status"], done["done"], done["total"]) == ("done", 7, 7)
    # 7 records over 3 mobiles: groups of 3, 2, 2 make 3 + 1 + 1 pairs, each once
    assert len(pairs(people)) == 5 and ids[0] == pairs(people)[0][0]
    with people.engine.connect() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(identity_suggestions)).scalar()
    assert n == 5
    again = people.identity_jobs.start("crm", "people")
    cancelled = people.identity_jobs.cancel("crm", "people", again["id"])
    assert cancelled["status"] == "cancelled"
    assert people.identity_jobs.work() == 0
    assert [j["status"] for j in people.identity_jobs.list("crm", "people")] == [
        "cancelled",
        "done",
    ]


def test_a_running_job_stops_at_its_next_batch_when_cancelled(
    people: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    people.identity_rules.create("crm", "people", mobile_rule())
    for i in range(5):
        add(people, name=f"n{i}", mobile="13800138000")
    monkeypatch.setattr(find_run, "BATCH", 2)
    job = people.identity_jobs.start("crm", "people")
    runs = people.identity_jobs
    job_id = runs.claim("test")
    assert job_id == job["id"]
    real = runs._batch

    def batch_then_cancel(jid: int, after: int) -> Any:
        out = real(jid, after)
        people.identity_jobs.cancel("crm", "people", jid)
        return out

    monkeypatch.setattr(runs, "_batch", batch_then_cancel)
    assert runs.run(job_id) == "cancelled"
    got = people.identity_jobs.get("crm", "people", job_id)
    assert got["status"] == "cancelled" and got["done"] == 2


def test_another_process_sees_a_rule_change_at_its_next_write(
    people: Services, db_url: str, tmp_path: Path
) -> None:
    """Rules are cached per catalogue version: a rule added elsewhere applies here at once."""
    other = make_services(db_url, tmp_path / "other")
    try:
        a = add(other, name="a", mobile="13800138000")  # caches "no rules" for people
        rule = people.identity_rules.create("crm", "people", mobile_rule())
        b = add(other, name="b", mobile="13800138000")
        assert pairs(people) == [(a, b, "手机相同")]
        people.identity_rules.update("crm", "people", rule["id"], {"enabled": False})
        add(other, name="c", mobile="13800138000")
        assert len(pairs(people)) == 1
    finally:
        other.close()


def test_match_rules_travel_in_the_app_package(people: Services) -> None:
    people.identity_rules.create("crm", "people", mobile_rule())
    people.identity_rules.create("crm", "people", name_rule(enabled=False))
    pkg = people.packages.export("crm")
    table = next(t for t in pkg["tables"] if t["key"] == "people")
    assert [r["name"] for r in table["identity_rules"]] == ["手机相同", "姓名+城市"]
    people.packages.import_package(pkg, key="crm_copy")
    copied = people.identity_rules.list("crm_copy", "people")
    assert [(r["name"], r["enabled"]) for r in copied] == [("手机相同", True), ("姓名+城市", False)]
    table["identity_rules"] = [mobile_rule(parts=[{"field": "nope", "compare": "exact"}])]
    with pytest.raises(Invalid) as e:
        people.packages.import_package(pkg, key="crm_bad")
    ti = pkg["tables"].index(table)
    assert f"tables.{ti}.identity_rules.0.parts.0.field" in errors(e)
    with pytest.raises(NotFound):
        people.identity_rules.list("crm_bad", "people")


def test_a_survivor_that_takes_the_losers_key_is_matched_with_its_twins(people: Services) -> None:
    """The merged survivor holds the loser's mobile: the third record sharing it becomes its
    pair (matched once, by the update that wrote the value)."""
    people.identity_rules.create("crm", "people", mobile_rule())
    a = add(people, name="甲", mobile="13800138001")
    b = add(people, name="乙", mobile="13800138002")
    c = add(people, name="丙", mobile="13800138002")
    assert pairs(people) == [(b, c, "手机相同")]
    people.merges.merge("crm", "people", a, b, choices={"mobile": "loser"})
    assert pairs(people) == [(a, c, "手机相同")]
