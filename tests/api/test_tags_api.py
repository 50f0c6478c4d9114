"""Tags over HTTP: the vocabulary (refused with the attribute named, in zh-CN and en;
audited), tags on a record one by one, replaced and in bulk, the outbox events, and who may
do what (a reader may not tag nor change the vocabulary; row scope bounds who may tag)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.services import Services
from cairn.store import system
from factories import make_user

A = "/api/v1/apps/crm"
V = f"{A}/tags"
R = f"{A}/tables/customers/records"


def as_user(services: Services, token: str) -> TestClient:
    return TestClient(
        create_app(services), headers={"accept-language": "en", "authorization": f"Bearer {token}"}
    )


def events(services: Services, kind: str) -> list[Any]:
    o = system.outbox
    with services.engine.connect() as c:
        return list(c.execute(sa.select(o).where(o.c.type == kind).order_by(o.c.id)))


def errors_of(r: Any) -> dict[str, str]:
    """field → message of a problem+json reply."""
    return {e["field"]: e["message"] for e in r.json()["errors"]}


def tag(c: TestClient, name: str, **more: Any) -> int:
    r = c.post(V, json={"name": name, **more})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def record(c: TestClient, name: str) -> int:
    r = c.post(R, json={"name": name})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def role(c: TestClient, username: str, actions: list[str], scope: str = "all") -> None:
    r = c.post(
        "/api/v1/roles",
        json={
            "key": f"r_{username}",
            "tables": [
                {"app": "crm", "table": "customers", "actions": actions, "row_scope": scope}
            ],
            "members": [username],
        },
    )
    assert r.status_code == 201, r.text


def test_the_vocabulary_round_trips_and_refuses_bad_tags(crm: TestClient) -> None:
    vip = tag(crm, "VIP", colour="gold", group="价值", description="高价值客户")
    tag(crm, "沉睡", colour="#8c8c8c", group="活跃度")
    items = crm.get(V).json()["items"]
    assert [(t["name"], t["colour"], t["group"], t["uses"]) for t in items] == [
        ("VIP", "gold", "价值", 0),
        ("沉睡", "#8c8c8c", "活跃度", 0),
    ]
    for body, where, en, zh in (
        ({"name": "VIP"}, "name", "already has a tag named 'VIP'", "已有名为“VIP”的标签"),
        ({"name": "x", "colour": "bluish"}, "colour", "The colour must be one of", "颜色必须是"),
        ({"name": "x" * 51}, "name", "1 to 50 characters", "1 到 50 个字符"),
        ({"name": "a,b"}, "name", "1 to 50 characters", "1 到 50 个字符"),
        ({"name": "x", "group": "g" * 51}, "group", "at most 50", "最多 50"),
    ):
        for lang, text in (("en", en), ("zh-CN", zh)):
            r = crm.post(V, json=body, headers={"accept-language": lang})
            assert r.status_code == 422, r.text
            assert r.headers["content-type"].startswith("application/problem+json")
            errors = errors_of(r)
            assert where in errors and text in errors[where], errors
    assert len(crm.get(V).json()["items"]) == 2  # nothing written
    r = crm.patch(f"{V}/{vip}", json={"name": "Key account", "colour": "red"})
    assert r.status_code == 200 and r.json()["name"] == "Key account"
    assert crm.patch(f"{V}/{vip}", json={"name": "沉睡"}).status_code == 422
    assert crm.patch(f"{V}/99999", json={"name": "z"}).status_code == 404
    codes = [
        e["action"]
        for e in crm.get("/api/v1/audit", params={"limit": 50}).json()["items"]
        if e["action"].startswith("tag.")
    ]
    assert sorted(codes) == ["tag.create", "tag.create", "tag.update"]


def test_tags_on_a_record_emit_events_and_deleting_a_tag_says_how_many(
    crm: TestClient, services: Services
) -> None:
    vip, sleepy, east = tag(crm, "VIP"), tag(crm, "沉睡"), tag(crm, "华东")
    a, b = record(crm, "甲"), record(crm, "乙")
    r = crm.post(f"{R}/{a}/tags", json={"tag_id": vip})
    assert r.status_code == 200, r.text
    assert [t["name"] for t in r.json()["items"]] == ["VIP"]
    assert r.json()["items"][0]["source"] == "manual" and r.json()["editable"] is True
    crm.post(f"{R}/{a}/tags", json={"tag_id": vip})  # again: nothing changes
    assert len(events(services, "record.tagged")) == 1
    r = crm.put(f"{R}/{a}/tags", json={"tags": [sleepy, east]})
    assert {t["name"] for t in r.json()["items"]} == {"沉睡", "华东"}
    untagged = events(services, "record.untagged")
    assert [e.payload["tags"] for e in untagged] == [[{"id": vip, "name": "VIP"}]]
    assert untagged[0].record_id == a and untagged[0].payload["source"] == "manual"
    r = crm.delete(f"{R}/{a}/tags/{east}")
    assert [t["name"] for t in r.json()["items"]] == ["沉睡"]
    # The record's history shows each change of its tags (names before and after).
    logged = [h for h in crm.get(f"{R}/{a}/history").json()["items"] if h["action"] == "tags"]
    assert [h["changes"] for h in logged] == [
        [{"field": "_tags", "name": None, "before": ["华东", "沉睡"], "after": ["沉睡"]}],
        [{"field": "_tags", "name": None, "before": ["VIP"], "after": ["华东", "沉睡"]}],
        [{"field": "_tags", "name": None, "before": [], "after": ["VIP"]}],
    ]
    r = crm.post(f"{A}/tables/customers/tags/apply", json={"ids": [a, b], "add": [vip]})
    assert r.json() == {"updated": 2, "ids": [a, b]}
    r = crm.post(
        f"{A}/tables/customers/tags/apply", json={"ids": [a, b], "add": [], "remove": [99999]}
    )
    assert r.status_code == 422 and "remove.0" in errors_of(r)
    r = crm.put(f"{R}/{a}/tags", json={"tags": [sleepy, 424242]})
    assert r.status_code == 422 and "tags.1" in errors_of(r)
    assert crm.post(f"{R}/99999/tags", json={"tag_id": vip}).status_code == 404
    uses = {t["name"]: t["uses"] for t in crm.get(V).json()["items"]}
    assert uses == {"VIP": 2, "沉睡": 1, "华东": 0}
    r = crm.delete(f"{V}/{vip}")
    assert r.status_code == 200 and r.json() == {"id": vip, "removed": 2}
    assert [t["name"] for t in crm.get(f"{R}/{a}/tags").json()["items"]] == ["沉睡"]
    assert crm.get(f"{R}/{b}/tags").json()["items"] == []


def test_readers_may_not_tag_and_row_scope_bounds_the_taggers(
    crm: TestClient, services: Services
) -> None:
    vip = tag(crm, "VIP")
    _, reader = make_user(services, "rita")
    owner_id, own = make_user(services, "otto")
    role(crm, "rita", ["read"])
    role(crm, "otto", ["read", "create", "update"], "own")
    theirs = record(crm, "别人的")
    with as_user(services, own) as otto:
        mine = otto.post(R, json={"name": "我的"}).json()["id"]
        assert otto.post(f"{R}/{mine}/tags", json={"tag_id": vip}).status_code == 200
        assert otto.post(f"{R}/{theirs}/tags", json={"tag_id": vip}).status_code == 404
        r = otto.post(
            f"{A}/tables/customers/tags/apply", json={"ids": [mine, theirs], "add": [vip]}
        )
        assert r.status_code == 404
        assert otto.post(V, json={"name": "mine"}).status_code == 403
    with as_user(services, reader) as rita:
        got = rita.get(f"{R}/{mine}/tags").json()
        assert [t["name"] for t in got["items"]] == ["VIP"] and got["editable"] is False
        assert rita.post(f"{R}/{mine}/tags", json={"tag_id": vip}).status_code == 403
        assert rita.delete(f"{R}/{mine}/tags/{vip}").status_code == 403
        assert rita.post(V, json={"name": "nope"}).status_code == 403
        assert rita.patch(f"{V}/{vip}", json={"name": "nope"}).status_code == 403
        assert rita.delete(f"{V}/{vip}").status_code == 403
        assert [t["name"] for t in rita.get(V).json()["items"]] == ["VIP"]
    assert owner_id


def names(c: TestClient, filter: Any) -> list[str]:
    r = c.post(f"{R}/query", json={"filter": filter, "sort": [{"field": "id"}]})
    assert r.status_code == 200, r.text
    return [x["name"] for x in r.json()["items"]]


def test_filters_by_tags_with_any_all_none_and_within_row_scope(
    crm: TestClient, services: Services
) -> None:
    vip, sleepy, east = tag(crm, "VIP"), tag(crm, "沉睡"), tag(crm, "华东")
    _, own = make_user(services, "otto")
    role(crm, "otto", ["read", "create", "update"], "own")
    a, b = record(crm, "甲"), record(crm, "乙")
    record(crm, "丙")
    crm.put(f"{R}/{a}/tags", json={"tags": [vip, sleepy]})
    crm.put(f"{R}/{b}/tags", json={"tags": [vip]})
    T = "_tags"
    assert names(crm, {"field": T, "op": "has_any", "value": [vip]}) == ["甲", "乙"]
    assert names(crm, {"field": T, "op": "has_any", "value": [sleepy, east]}) == ["甲"]
    assert names(crm, {"field": T, "op": "has_all", "value": [vip, sleepy]}) == ["甲"]
    assert names(crm, {"field": T, "op": "has_none", "value": [sleepy]}) == ["乙", "丙"]
    assert names(crm, {"field": T, "op": "is_empty"}) == ["丙"]
    both = {
        "and": [
            {"field": T, "op": "has_any", "value": [vip]},
            {"field": "name", "op": "eq", "value": "乙"},
        ]
    }
    assert names(crm, both) == ["乙"]
    either = {
        "or": [
            {"field": T, "op": "has_all", "value": [sleepy]},
            {"field": "name", "op": "eq", "value": "丙"},
        ]
    }
    assert names(crm, either) == ["甲", "丙"]
    # Bad input: refused with the path, in both languages.
    for lang, text in (
        ("en", "There is no tag 4242 in this app."),
        ("zh-CN", "本应用没有标签 4242。"),
    ):
        r = crm.post(
            f"{R}/query",
            json={"filter": {"and": [{"field": T, "op": "has_any", "value": [vip, 4242]}]}},
            headers={"accept-language": lang},
        )
        assert r.status_code == 422
        assert errors_of(r) == {"filter.and.0.value.1": text}
    r = crm.post(f"{R}/query", json={"filter": {"field": T, "op": "eq", "value": [vip]}})
    assert r.status_code == 422 and "filter.op" in errors_of(r)
    r = crm.post(f"{R}/query", json={"filter": {"field": T, "op": "has_any", "value": "x"}})
    assert r.status_code == 422 and "filter.value" in errors_of(r)
    # A saved view keeps a tag filter; an unknown tag is refused when saving it too.
    # Row scope: otto sees only his own rows, tags filter within them.
    with as_user(services, own) as otto:
        mine = otto.post(R, json={"name": "丁"}).json()["id"]
        otto.post(f"{R}/{mine}/tags", json={"tag_id": vip})
        assert names(otto, {"field": T, "op": "has_any", "value": [vip]}) == ["丁"]
        assert names(otto, {"field": T, "op": "has_none", "value": [east]}) == ["丁"]


def test_the_vocabulary_and_the_rules_naming_tags_travel_in_the_app_package(
    crm: TestClient,
) -> None:
    import yaml

    tag(crm, "zz-unused")  # takes an id, so the copy's ids differ from the original's
    vip = tag(crm, "VIP", colour="gold", group="价值", description="高价值")
    crm.delete(f"{V}/{tag(crm, 'gone')}")
    sleepy = tag(crm, "沉睡", colour="#8c8c8c", group="活跃度")
    rule = {
        "key": "wake",
        "name": "唤醒",
        "table": "customers",
        "trigger": {
            "type": "schedule",
            "cron": "0 9 * * *",
            "filter": {"field": "_tags", "op": "has_all", "value": [vip, sleepy]},
        },
        "actions": [{"type": "remove_tag", "tags": [sleepy]}],
    }
    assert crm.post(f"{A}/rules", json=rule).status_code == 201
    text = crm.get(f"{A}/export").text
    first = yaml.safe_load(text)
    assert [t["name"] for t in first["tags"]] == ["zz-unused", "VIP", "沉睡"]
    assert first["tags"][1] == {
        "name": "VIP",
        "colour": "gold",
        "group": "价值",
        "description": "高价值",
        "position": 0,
    }
    exported = first["rules"][0]
    assert exported["actions"][0]["tags"] == ["沉睡"]
    r = crm.post(
        "/api/v1/apps/import?key=copy",
        content=text.encode(),
        headers={"content-type": "application/yaml"},
    )
    assert r.status_code == 201, r.text
    copied = {t["name"]: t["id"] for t in crm.get("/api/v1/apps/copy/tags").json()["items"]}
    assert copied["沉睡"] != sleepy
    rules = crm.get("/api/v1/apps/copy/rules").json()["items"]
    spec = crm.get(f"/api/v1/apps/copy/rules/{rules[0]['id']}").json()
    assert spec["actions"][0]["tags"] == [copied["沉睡"]]
    assert spec["trigger"]["filter"]["value"] == [copied["VIP"], copied["沉睡"]]
    second = yaml.safe_load(crm.get("/api/v1/apps/copy/export").text)
    second["app"].pop("key"), first["app"].pop("key")
    assert second == first
    # A package naming a tag it does not carry is refused, nothing created.
    first["rules"][0]["actions"][0]["tags"] = ["nope"]
    r = crm.post("/api/v1/apps/import?key=bad", content=yaml.safe_dump(first).encode())
    assert r.status_code == 422
    assert [a["key"] for a in crm.get("/api/v1/apps").json()["items"]] == ["crm", "copy"]


def test_a_merge_moves_the_losers_tags_and_unmerge_moves_them_back(
    crm: TestClient, services: Services
) -> None:
    vip, east = tag(crm, "VIP"), tag(crm, "华东")
    survivor, loser = record(crm, "甲"), record(crm, "甲 (dup)")
    crm.put(f"{R}/{survivor}/tags", json={"tags": [vip]})
    crm.put(f"{R}/{loser}/tags", json={"tags": [vip, east]})
    M = f"{A}/tables/customers/merges"
    body = {"survivor_id": survivor, "loser_id": loser}
    preview = crm.post(f"{M}/preview", json=body).json()
    assert {"kind": "tags", "table": None, "label": "tags", "count": 1} in preview["related"]
    r = crm.post(M, json=body)
    assert r.status_code in (200, 201), r.text
    assert sorted(t["name"] for t in crm.get(f"{R}/{survivor}/tags").json()["items"]) == [
        "VIP",
        "华东",
    ]
    back = crm.post(f"{M}/{r.json()['id']}/unmerge")
    assert back.status_code == 200, back.text
    assert [t["name"] for t in crm.get(f"{R}/{survivor}/tags").json()["items"]] == ["VIP"]
    assert sorted(t["name"] for t in crm.get(f"{R}/{loser}/tags").json()["items"]) == [
        "VIP",
        "华东",
    ]
    # A record deleted for good takes its tags with it.
    assert crm.delete(f"{R}/{loser}").status_code in (200, 204)
    assert crm.post(f"{R}/{loser}/purge").status_code == 204
    assert {t["name"]: t["uses"] for t in crm.get(V).json()["items"]} == {"VIP": 1, "华东": 0}


def test_a_saved_view_may_filter_by_tags_and_refuses_unknown_ones(crm: TestClient) -> None:
    vip = tag(crm, "VIP")
    views = f"{A}/tables/customers/views"
    good = {
        "name": "VIPs",
        "config": {"filter": {"field": "_tags", "op": "has_any", "value": [vip]}},
    }
    assert crm.post(views, json=good).status_code == 201
    bad = {"name": "?", "config": {"filter": {"field": "_tags", "op": "has_any", "value": [987]}}}
    r = crm.post(views, json=bad)
    assert r.status_code == 422, r.text
    assert errors_of(r) == {"filter.value.0": "There is no tag 987 in this app."}
