"""One-ID merges over HTTP (SQLite and PostgreSQL): preview, merge, the tombstone resolving to
the survivor, the merges of a record, unmerge; refusals as problem+json naming the field;
who may merge; concurrent merges of one record (one wins, the other 409); survivorship
options checked on field save."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.core import CairnError, FrozenClock
from cairn.services import Services
from factories import make_user

A = "/api/v1/apps/crm/tables/customers"
R = f"{A}/records"
M = f"{A}/merges"


def _add(c: TestClient, **values: Any) -> dict[str, Any]:
    r = c.post(R, json=values)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _fields(r: Any) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in r.json().get("errors", [])]


def test_preview_merge_resolve_and_unmerge(crm: TestClient) -> None:
    a = _add(crm, name="华东航空", phone="13800138000")
    b = _add(crm, name="华东航空公司", email="ops@hd.example", flight_hours=120)
    order = crm.post(
        "/api/v1/apps/crm/tables/orders/records", json={"title": "o", "customer": b["id"]}
    ).json()["id"]
    r = crm.post(f"{M}/preview", json={"survivor_id": a["id"], "loser_id": b["id"]})
    assert r.status_code == 200, r.text
    pv = r.json()
    fields = {f["key"]: f for f in pv["fields"]}
    assert fields["email"]["proposed"] == "ops@hd.example" and fields["email"]["origin"] == "loser"
    assert fields["name"]["origin"] == "survivor" and fields["name"]["choosable"] is True
    assert fields["orders"]["merge"] == "links" and fields["orders"]["choosable"] is False
    assert "customer_no" not in fields  # an auto number is the survivor's own
    assert pv["related"] == [{"kind": "links", "table": "orders", "label": "订单", "count": 1}]

    body = {
        "survivor_id": a["id"],
        "loser_id": b["id"],
        "choices": {"name": "loser", "flight_hours": {"value": 150}},
        "survivor_version": pv["survivor"]["version"],
        "loser_version": pv["loser"]["version"],
    }
    r = crm.post(M, json=body)
    assert r.status_code == 201, r.text
    merge = r.json()
    assert merge["status"] == "merged" and merge["moved_counts"] == {"links": 1}
    assert merge["choices"] == {
        "name": "loser",
        "email": "loser",
        "flight_hours": "choice",
        "orders": "loser",  # the survivor had none: the loser's links
    }
    survivor = crm.get(f"{R}/{a['id']}").json()
    assert survivor["name"] == "华东航空公司" and survivor["flight_hours"] == 150
    assert survivor["orders"] == [order]
    # The loser's id answers with the survivor, saying so.
    r = crm.get(f"{R}/{b['id']}")
    assert r.status_code == 200 and r.json()["id"] == a["id"]
    assert r.json()["merged_into"] == a["id"] and r.json()["merged_from"] == b["id"]
    # Kept out of the recycle bin; neither restored nor purged.
    assert crm.get(f"{R}/recycle-bin").json()["items"] == []
    r = crm.post(f"{R}/{b['id']}/restore")
    assert r.status_code == 409 and r.json()["code"] == "merge.restore_tombstone"
    assert crm.post(f"{R}/{b['id']}/purge").status_code == 409

    listed = crm.get(M, params={"record_id": b["id"]}).json()["items"]
    assert [m["id"] for m in listed] == [merge["id"]]
    assert crm.get(f"{M}/{merge['id']}").json()["loser_id"] == b["id"]
    audit = crm.get("/api/v1/audit", params={"action": "record.merge"}).json()["items"]
    assert len(audit) == 1 and audit[0]["details"]["loser_id"] == b["id"]

    r = crm.post(f"{M}/{merge['id']}/unmerge")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "unmerged" and r.json()["skipped"] == []
    back = crm.get(f"{R}/{b['id']}").json()
    assert back["id"] == b["id"] and back["name"] == "华东航空公司" and back["orders"] == [order]
    survivor = crm.get(f"{R}/{a['id']}").json()
    assert survivor["name"] == "华东航空" and survivor["email"] is None
    assert survivor["flight_hours"] is None and survivor["orders"] == []
    r = crm.post(f"{M}/{merge['id']}/unmerge")
    assert r.status_code == 409 and r.json()["code"] == "merge.not_merged"


def test_bad_requests_name_the_field_and_change_nothing(crm: TestClient) -> None:
    a, b = _add(crm, name="A")["id"], _add(crm, name="B")["id"]
    cases = [
        ({"survivor_id": a, "loser_id": a}, ("loser_id", "merge.same_record")),
        ({"survivor_id": a, "loser_id": b, "loser_table": "orders"}, ("loser_table", "merge.other_table")),
        ({"survivor_id": a, "loser_id": b, "choices": {"nope": "loser"}}, ("choices.nope", "field.unknown")),
        ({"survivor_id": a, "loser_id": b, "choices": {"orders": "loser"}}, ("choices.orders", "merge.choice_field")),
        ({"survivor_id": a, "loser_id": b, "choices": {"email": "both"}}, ("choices.email", "merge.choice")),
        ({"survivor_id": a, "loser_id": b, "choices": {"email": {"value": "not-an-email"}}}, ("email", None)),
        ({"survivor_id": a, "loser_id": b, "suggestion_id": 99}, ("suggestion_id", "merge.suggestion")),
    ]  # fmt: skip
    for body, (field, code) in cases:
        r = crm.post(M, json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert field in [f for f, _ in _fields(r)], (body, r.json())
        if code:
            assert (field, code) in _fields(r), (body, r.json())
    r = crm.post(M, json={"survivor_id": a, "loser_id": 10**6})
    assert r.status_code == 404
    assert crm.post(M, json={"survivor_id": a}).status_code == 422
    assert crm.get(M).json()["items"] == []
    assert crm.get(f"{R}/{b}").json()["id"] == b
    assert crm.get(f"{M}/12345").status_code == 404
    # In Chinese too.
    r = crm.post(M, json={"survivor_id": a, "loser_id": a}, headers={"accept-language": "zh-CN"})
    assert r.json()["errors"][0]["message"] == "记录不能与自身合并。"


def test_who_may_merge(services: Services, crm: TestClient) -> None:
    make_user(services, "rita")
    _, reader = make_user(services, "rita2")
    _, owner = make_user(services, "owen")
    roles = [
        ("readers", "rita2", ["read"], "all"),
        ("owners", "owen", ["read", "create", "update"], "own"),
    ]
    for key, member, actions, scope in roles:
        table = {"app": "crm", "table": "customers", "actions": actions, "row_scope": scope}
        body = {"key": key, "name": key, "members": [member], "tables": [table]}
        assert crm.post("/api/v1/roles", json=body).status_code == 201
    theirs = _add(crm, name="admin's")["id"]
    hdr = {"accept-language": "en"}
    with (
        TestClient(create_app(services), headers={**hdr, "authorization": f"Bearer {reader}"}) as rita,
        TestClient(create_app(services), headers={**hdr, "authorization": f"Bearer {owner}"}) as owen,
    ):  # fmt: skip
        mine1, mine2 = _add(owen, name="o1")["id"], _add(owen, name="o2")["id"]
        pair = {"survivor_id": mine1, "loser_id": theirs}
        assert rita.post(M, json=pair).status_code == 403
        assert rita.post(f"{M}/preview", json=pair).status_code == 403
        assert owen.post(M, json=pair).status_code == 404  # outside his scope
        r = owen.post(M, json={"survivor_id": mine1, "loser_id": mine2})
        assert r.status_code == 201, r.text
        assert rita.get(M).status_code == 200
        assert rita.post(f"{M}/{r.json()['id']}/unmerge").status_code == 403
        assert owen.post(f"{M}/{r.json()['id']}/unmerge").status_code == 200


def test_concurrent_merges_of_one_record_one_wins(services: Services, crm: TestClient) -> None:
    """Two merges of one loser into two survivors at once: one merges, the other gets 409."""
    a, b, loser = (_add(crm, name=n)["id"] for n in ("A", "B", "L"))
    start = threading.Barrier(2)
    outcomes: list[Any] = []

    def merge(survivor: int) -> None:
        start.wait()
        try:
            outcomes.append(services.merges.merge("crm", "customers", survivor, loser)["id"])
        except CairnError as e:
            outcomes.append(e)

    threads = [threading.Thread(target=merge, args=(s,)) for s in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    merged = [o for o in outcomes if isinstance(o, int)]
    refused = [o for o in outcomes if not isinstance(o, int)]
    assert len(merged) == 1 and len(refused) == 1, outcomes
    assert refused[0].status == 409
    assert len(crm.get(M, params={"record_id": loser}).json()["items"]) == 1


@pytest.mark.parametrize(
    ("options", "loc"),
    [
        ({"survivorship": {"rule": "oldest"}}, "options.survivorship.rule"),
        ({"survivorship": "recent"}, "options.survivorship"),
        ({"survivorship": {"rule": "source", "order": ["DMS"]}}, "options.survivorship.source_field"),
        ({"survivorship": {"rule": "source", "source_field": "nope", "order": ["DMS"]}}, "options.survivorship.source_field"),
        ({"survivorship": {"rule": "source", "source_field": "name", "order": []}}, "options.survivorship.order"),
        ({"survivorship": {"rule": "recent", "order": ["DMS"]}}, "options.survivorship.rule"),
    ],
)  # fmt: skip
def test_survivorship_options_are_checked_on_save(crm: TestClient, options: Any, loc: str) -> None:
    r = crm.patch(f"{A}/fields/email", json={"options": options})
    assert r.status_code == 422, r.text
    assert loc in [f for f, _ in _fields(r)], r.json()


def test_survivorship_rules_choose_the_value(crm: TestClient, frozen_clock: FrozenClock) -> None:
    r = crm.post(f"{A}/fields", json={"key": "source", "name": "来源", "type": "text"})
    assert r.status_code == 201, r.text
    rule = {"rule": "source", "source_field": "source", "order": ["DMS", "WMS"]}
    r = crm.patch(f"{A}/fields/email", json={"options": {"survivorship": rule}})
    assert r.status_code == 200, r.text
    assert r.json()["options"]["survivorship"] == rule
    r = crm.patch(f"{A}/fields/name", json={"options": {"survivorship": {"rule": "recent"}}})
    assert r.status_code == 200, r.text
    a = _add(crm, name="old", email="a@wms.example", source="WMS")["id"]
    b = _add(crm, name="new", email="b@dms.example", source="DMS")["id"]
    frozen_clock.advance(timedelta(minutes=5))
    v = crm.get(f"{R}/{b}").json()["version"]
    assert crm.patch(f"{R}/{b}", json={"version": v, "name": "newest"}).status_code == 200
    pv = crm.post(f"{M}/preview", json={"survivor_id": a, "loser_id": b}).json()
    fields = {f["key"]: f for f in pv["fields"]}
    assert (fields["email"]["proposed"], fields["email"]["origin"]) == ("b@dms.example", "loser")
    assert (fields["name"]["proposed"], fields["name"]["origin"]) == ("newest", "loser")
    assert fields["source"]["origin"] == "survivor"
