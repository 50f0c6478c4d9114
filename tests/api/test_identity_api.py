"""One-ID over HTTP: match rules (refused with the part named, in zh-CN and en; audited),
the review queue with the evidence, decisions one by one and in bulk, find-duplicates runs
with progress and cancel, matching, and who may do what."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from cairn.services import Services
from factories import make_user
from identitydata import make_people, mobile_rule

T = "/api/v1/apps/crm/tables/people"
R = f"{T}/identity-rules"


def world(crm: TestClient, services: Services) -> TestClient:
    make_people(services)
    return crm


def add(c: TestClient, **values: Any) -> int:
    r = c.post(f"{T}/records", json=values)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_rules_round_trip_and_bad_ones_name_the_part(crm: TestClient, services: Services) -> None:
    c = world(crm, services)
    r = c.post(R, json=mobile_rule())
    assert r.status_code == 201, r.text
    rule = r.json()
    assert rule["parts"] == [{"field": "mobile", "via": None, "compare": "exact"}]
    patched = c.patch(f"{R}/{rule['id']}", json={"name": "Same mobile", "position": 2}).json()
    assert (patched["name"], patched["position"], patched["kind"]) == ("Same mobile", 2, "exact")
    assert [x["id"] for x in c.get(R).json()["items"]] == [rule["id"]]
    bad = {"name": "x", "kind": "combo", "parts": [{"field": "ghost", "compare": "fuzzy"}]}
    for lang, text in (
        ("en", "'ghost' is not a field here."),
        ("zh-CN", "“ghost”不是这里的字段。"),
    ):
        r = c.post(R, json=bad, headers={"accept-language": lang})
        assert r.status_code == 422
        assert r.headers["content-type"].startswith("application/problem+json")
        assert text in str(r.json()), r.json()
    assert len(c.get(R).json()["items"]) == 1  # nothing written
    assert c.post(R, json={**mobile_rule(), "kind": "fuzzy"}).status_code == 422
    assert c.delete(f"{R}/{rule['id']}").status_code == 204
    assert c.patch(f"{R}/{rule['id']}", json={"threshold": 1}).status_code == 404
    actions = [
        e["action"]
        for e in c.get("/api/v1/audit", params={"limit": 50}).json()["items"]
        if e["action"].startswith("identity_rule.")
    ]
    assert sorted(actions) == [
        "identity_rule.create",
        "identity_rule.delete",
        "identity_rule.update",
    ]


def test_the_queue_shows_evidence_and_takes_decisions(crm: TestClient, services: Services) -> None:
    c = world(crm, services)
    c.post(R, json=mobile_rule())
    a = add(c, name="张伟", mobile="13800138000")
    b = add(c, name="张小伟", mobile="+86 138 0013 8000")
    d = add(c, name="张伟", mobile="13800138000")
    page = c.get(f"{T}/duplicates", params={"limit": 2}).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    first = page["items"][0]
    assert (first["record_a"]["id"], first["record_b"]["id"]) == (a, b)
    assert first["record_a"]["title"] == "张伟" and first["record_b"]["values"]["name"] == "张小伟"
    assert first["evidence"] == [
        {
            "field": "mobile",
            "label": "手机",
            "a": "+8613800138000",
            "b": "+8613800138000",
            "score": 100.0,
        }
    ]
    assert first["rule"]["name"] == "手机相同" and first["status"] == "open"
    r = c.post(f"{T}/duplicates/{first['id']}/decision", json={"decision": "not_same"})
    assert r.status_code == 200 and r.json()["status"] == "not_same"
    assert (
        c.post(f"{T}/duplicates/{first['id']}/decision", json={"decision": "merge"}).status_code
        == 422
    )
    rest = [i["id"] for i in c.get(f"{T}/duplicates").json()["items"]]
    r = c.post(f"{T}/duplicates/decisions", json={"ids": rest, "decision": "later"})
    assert r.json() == {"updated": 2}
    assert c.get(f"{T}/duplicates").json()["total"] == 0
    assert c.get(f"{T}/duplicates", params={"status": "later"}).json()["total"] == 2
    assert c.get(f"{T}/duplicates", params={"status": "bogus"}).status_code == 422
    assert c.post(f"{T}/duplicates/99999/decision", json={"decision": "later"}).status_code == 404
    found = c.post(f"{T}/identity/match", json={"values": {"mobile": "138-0013-8000"}}).json()
    assert [x["record_id"] for x in found["candidates"]] == [a, b, d]
    codes = {e["action"] for e in c.get("/api/v1/audit", params={"limit": 50}).json()["items"]}
    assert {"duplicate.decide", "duplicate.decide_many"} <= codes


def test_find_duplicates_runs_with_progress_and_cancel(crm: TestClient, services: Services) -> None:
    c = world(crm, services)
    for i in range(4):
        add(c, name=f"n{i}", mobile="13800138000")
    c.post(R, json=mobile_rule())
    r = c.post(f"{T}/duplicate-jobs")
    assert r.status_code == 202
    job = r.json()
    assert job["status"] == "queued" and job["done"] == 0
    services.identity_jobs.work()
    done = c.get(f"{T}/duplicate-jobs/{job['id']}").json()
    assert (done["status"], done["done"], done["total"], done["found"]) == ("done", 4, 4, 6)
    again = c.post(f"{T}/duplicate-jobs").json()
    cancelled = c.post(f"{T}/duplicate-jobs/{again['id']}/cancel").json()
    assert cancelled["status"] == "cancelled"
    assert [j["id"] for j in c.get(f"{T}/duplicate-jobs").json()["items"]] == [
        again["id"],
        job["id"],
    ]
    assert c.get(f"{T}/duplicate-jobs/9999").status_code == 404


def test_readers_read_the_queue_but_do_not_decide_or_design(
    crm: TestClient, services: Services
) -> None:
    c = world(crm, services)
    c.post(R, json=mobile_rule())
    add(c, name="a", mobile="13800138000")
    add(c, name="b", mobile="13800138000")
    _, token = make_user(services, "reader")
    role = {"app": "crm", "table": "people", "actions": ["read"], "row_scope": "all"}
    r = c.post(
        "/api/v1/roles",
        json={"key": "readers", "name": "Readers", "members": ["reader"], "tables": [role]},
    )
    assert r.status_code == 201, r.text
    h = {"authorization": f"Bearer {token}"}
    items = c.get(f"{T}/duplicates", headers=h).json()["items"]
    assert len(items) == 1
    sid = items[0]["id"]
    assert (
        c.post(f"{T}/duplicates/{sid}/decision", json={"decision": "later"}, headers=h).status_code
        == 403
    )
    assert c.post(R, json=mobile_rule(name="again"), headers=h).status_code == 403
    assert c.post(f"{T}/duplicate-jobs", headers=h).status_code == 403
