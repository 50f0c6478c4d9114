from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from cairn.core import Conflict
from cairn.services import Services
from support.http import created, make_table

R = "/api/v1/apps/crm/tables/customers/records"
ORD = "/api/v1/apps/crm/tables/orders/records"


def count_rows(services: Services, table: str, what: str = "t") -> int:
    with services.engine.connect() as c:
        tid = c.execute(sa.text("select id from tables where key = :k"), {"k": table}).scalar_one()
        return c.execute(sa.text(f"select count(*) from t_{tid}")).scalar_one()


def outbox_count(services: Services) -> int:
    with services.engine.connect() as c:
        return c.execute(sa.text("select count(*) from outbox")).scalar_one()


def test_create_read_shape(crm: TestClient) -> None:
    rec = created(
        crm,
        R,
        {
            "name": "华东通航",
            "phone": "138 0013 8000",
            "email": "Ops@Example.COM",
            "tier": "VIP",
            "flight_hours": 1200,
            "credit": "50000.5",
            "signed_on": "2025-03-01",
            "last_contact": "2026-01-05 10:30",
        },
    )
    assert rec["phone"] == "+8613800138000"
    assert rec["email"] == "Ops@example.com"
    assert rec["credit"] == 50000.5
    assert rec["last_contact"] == "2026-01-05T10:30:00+08:00"
    assert rec["customer_no"] == "C-00001"
    assert rec["active"] is False
    assert rec["version"] == 1
    assert {"id", "version", "created_at", "updated_at"} <= set(rec)
    assert crm.get(f"{R}/{rec['id']}").json() == rec


def test_every_bad_value_is_reported_and_nothing_saved(crm: TestClient, services: Services) -> None:
    r = crm.post(
        R,
        json={
            "name": "",
            "phone": "1380013800",
            "email": "not-an-email",
            "tier": "Platinum",
            "flight_hours": -5,
            "signed_on": "2025-02-30",
            "bogus": 1,
        },
    )
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {"name", "phone", "email", "tier", "flight_hours", "signed_on", "bogus"}
    phone = next(e for e in r.json()["errors"] if e["field"] == "phone")
    assert phone["message"] == "'1380013800' is not a valid phone number."
    assert count_rows(services, "customers") == 0
    assert outbox_count(services) == 0


def test_invalid_phone_in_chinese(crm: TestClient) -> None:
    r = crm.post(R, json={"name": "A", "phone": "12345"}, headers={"accept-language": "zh-CN"})
    assert r.json()["errors"][0]["message"] == "“12345”不是有效的电话号码。"


def test_unique_values(crm: TestClient, services: Services) -> None:
    crm.post(R, json={"name": "A", "phone": "13800138000"})
    r = crm.post(R, json={"name": "B", "phone": "+86 138-0013-8000"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "phone"
    r = crm.post(
        f"{R}/bulk",
        json={
            "records": [
                {"name": "C", "phone": "13900139000"},
                {"name": "D", "phone": "13900139000"},
            ]
        },
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "records.1.phone"
    assert count_rows(services, "customers") == 1


def test_update_with_version_and_history(crm: TestClient, services: Services, frozen_clock) -> None:
    rec = crm.post(R, json={"name": "A", "tier": "Gold"}).json()
    r = crm.patch(f"{R}/{rec['id']}", json={"version": 1, "tier": "VIP", "flight_hours": 10})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and r.json()["tier"] == "VIP"
    stale = crm.patch(f"{R}/{rec['id']}", json={"version": 1, "tier": "Standard"})
    assert stale.status_code == 409
    assert crm.get(f"{R}/{rec['id']}").json()["tier"] == "VIP"
    r = crm.patch(f"{R}/{rec['id']}", json={"tier": "Standard"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "version"
    hist = crm.get(f"{R}/{rec['id']}/history").json()["items"]
    assert [h["action"] for h in hist] == ["update", "create"]
    changes = {c["field"]: (c["before"], c["after"]) for c in hist[0]["changes"]}
    assert changes == {"tier": ("Gold", "VIP"), "flight_hours": (None, 10)}


def test_unchanged_update_makes_no_version(crm: TestClient) -> None:
    rec = crm.post(R, json={"name": "A"}).json()
    r = crm.patch(f"{R}/{rec['id']}", json={"version": 1, "name": "A"})
    assert r.json()["version"] == 1


def test_one_outbox_event_per_mutation(crm: TestClient, services: Services) -> None:
    rec = crm.post(R, json={"name": "A"}).json()
    crm.patch(f"{R}/{rec['id']}", json={"version": 1, "name": "B"})
    crm.delete(f"{R}/{rec['id']}")
    crm.post(f"{R}/{rec['id']}/restore")
    with services.engine.connect() as c:
        rows = c.execute(sa.text("select type, record_id, payload from outbox order by id")).all()
    assert [r[0] for r in rows] == [
        "record.created",
        "record.updated",
        "record.deleted",
        "record.restored",
    ]
    assert all(r[1] == rec["id"] for r in rows)


def test_soft_delete_and_restore(crm: TestClient) -> None:
    rec = crm.post(R, json={"name": "A", "phone": "13800138000"}).json()
    assert crm.delete(f"{R}/{rec['id']}").status_code == 204
    assert crm.get(f"{R}/{rec['id']}").status_code == 404
    assert crm.get(R).json()["items"] == []
    other = crm.post(R, json={"name": "B", "phone": "13800138000"})
    assert other.status_code == 201  # unique among live records
    r = crm.post(f"{R}/{rec['id']}/restore")
    assert r.status_code == 422  # restoring would duplicate the phone
    crm.delete(f"{R}/{other.json()['id']}")
    assert crm.post(f"{R}/{rec['id']}/restore").json()["name"] == "A"


def test_bulk_is_all_or_nothing(crm: TestClient, services: Services) -> None:
    a = crm.post(R, json={"name": "A"}).json()
    r = crm.post(
        f"{R}/bulk",
        json={
            "records": [
                {"name": "new"},
                {"id": a["id"], "version": 1, "name": "A2"},
                {"name": "x", "flight_hours": "many"},
            ]
        },
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "records.2.flight_hours"
    assert count_rows(services, "customers") == 1
    assert crm.get(f"{R}/{a['id']}").json()["name"] == "A"
    r = crm.post(
        f"{R}/bulk",
        json={"records": [{"name": "new"}, {"id": a["id"], "version": 1, "name": "A2"}]},
    )
    assert r.status_code == 201, r.text
    assert [x["name"] for x in r.json()["items"]] == ["new", "A2"]


def test_a_bulk_of_records_setting_different_fields_keeps_each_as_sent(crm: TestClient) -> None:
    """Records of one batch need not set the same fields (and 40 of them go by COPY on
    PostgreSQL): each reads back with what it set, and blanks or defaults elsewhere."""
    sent = []
    for i in range(40):
        body: dict = {"name": f"客户{i}"}
        if i % 2:
            body["flight_hours"] = i
        if i % 3 == 0:
            body["email"] = f"c{i}@example.com"
        if i % 5 == 0:
            body["signed_on"] = f"2026-03-{i % 28 + 1:02d}"
        sent.append(body)
    r = crm.post(f"{R}/bulk", json={"records": sent})
    assert r.status_code == 201, r.text
    for body, item in zip(sent, r.json()["items"], strict=True):
        back = crm.get(f"{R}/{item['id']}").json()
        assert back["name"] == body["name"]
        assert back["flight_hours"] == body.get("flight_hours")
        assert back["email"] == body.get("email")
        assert back["signed_on"] == body.get("signed_on")
        assert back["active"] is False  # a boolean's blank is false


def test_bulk_limits(crm: TestClient) -> None:
    r = crm.post(f"{R}/bulk", json={"records": [{"name": str(i)} for i in range(1001)]})
    assert r.status_code == 422 and "At most 1000" in r.json()["errors"][0]["message"]
    r = crm.post(f"{R}/bulk", json={"records": []})
    assert r.status_code == 422
    r = crm.post(f"{R}/bulk", json={"records": [{"name": str(i)} for i in range(1000)]})
    assert r.status_code == 201 and len(r.json()["items"]) == 1000
    numbers = [x["customer_no"] for x in r.json()["items"]]
    assert numbers[0] == "C-00001" and numbers[-1] == "C-01000"


def test_a_bulk_body_of_the_wrong_shape_is_refused_and_changes_nothing(
    crm: TestClient, services: Services
) -> None:
    r = crm.post(
        f"{R}/bulk",
        content=b'{"records": [{"name": "A"}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 400 and r.json()["code"] == "invalid.json"
    for body, where in (
        ({"records": [{"name": "A"}, "B"]}, "records.1"),
        ({"records": {"name": "A"}}, "records"),
        ({"records": [{"name": "A"}], "extra": 1}, "extra"),
        ({}, "records"),
        ([{"name": "A"}], "body"),
    ):
        r = crm.post(f"{R}/bulk", json=body)
        assert r.status_code == 422, body
        assert [e["field"] for e in r.json()["errors"]] == [where], r.json()
    assert count_rows(services, "customers") == 0


def test_relations_both_sides_and_missing_ids(crm: TestClient, services: Services) -> None:
    c = crm.post(R, json={"name": "Acme"}).json()
    o1 = created(crm, ORD, {"title": "o1", "amount": 10, "customer": c["id"]})
    assert o1["customer"] == c["id"]
    crm.post(ORD, json={"title": "o2", "amount": 5, "customer": c["id"]})
    assert len(crm.get(f"{R}/{c['id']}").json()["orders"]) == 2
    r = crm.post(ORD, json={"title": "bad", "customer": 99999})
    assert r.status_code == 422
    assert "99999" in r.json()["errors"][0]["message"]
    r = crm.post(ORD, json={"title": "bad", "customer": [c["id"], c["id"] + 1]})
    assert r.status_code == 422
    expanded = crm.get(f"{R}/{c['id']}?expand=orders").json()
    assert sorted(o["title"] for o in expanded["orders"]) == ["o1", "o2"]
    assert count_rows(services, "orders") == 2


def test_one_to_many_target_cannot_be_taken_twice(crm: TestClient) -> None:
    a = crm.post(R, json={"name": "A"}).json()
    b = crm.post(R, json={"name": "B"}).json()
    o = crm.post(ORD, json={"title": "o", "customer": a["id"]}).json()
    r = crm.patch(f"{R}/{b['id']}", json={"version": 1, "orders": [o["id"]]})
    assert r.status_code == 422
    assert crm.get(f"{ORD}/{o['id']}").json()["customer"] == a["id"]


def test_rollup_and_lookup(crm: TestClient) -> None:
    T = "/api/v1/apps/crm/tables"
    crm.post(
        f"{T}/customers/fields",
        json={
            "key": "order_total",
            "type": "rollup",
            "options": {"relation": "orders", "field": "amount", "function": "sum"},
        },
    )
    crm.post(
        f"{T}/customers/fields",
        json={"key": "order_count", "type": "rollup", "options": {"relation": "orders"}},
    )
    crm.post(
        f"{T}/orders/fields",
        json={
            "key": "customer_tier",
            "type": "lookup",
            "options": {"relation": "customer", "field": "tier"},
        },
    )
    c = crm.post(R, json={"name": "Acme", "tier": "VIP"}).json()
    crm.post(
        f"{ORD}/bulk",
        json={
            "records": [
                {"title": "a", "amount": 10, "customer": c["id"]},
                {"title": "b", "amount": 2.5, "customer": c["id"]},
            ]
        },
    )
    rec = crm.get(f"{R}/{c['id']}").json()
    assert rec["order_total"] == 12.5
    assert rec["order_count"] == 2
    page = crm.post(
        f"{R}/query", json={"filter": {"field": "order_total", "op": "gt", "value": 12}}
    ).json()
    assert [x["id"] for x in page["items"]] == [c["id"]]
    r = crm.post(R, json={"name": "x", "order_total": 5})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "order_total"


def test_query_filter_sort_page(crm: TestClient) -> None:
    rows = [
        {
            "name": f"c{i}",
            "tier": ["VIP", "Gold", "Standard"][i % 3],
            "flight_hours": i * 10 if i % 4 else None,
        }
        for i in range(30)
    ]
    crm.post(f"{R}/bulk", json={"records": rows})
    body = {
        "filter": {
            "and": [
                {"field": "tier", "op": "in", "value": ["VIP", "Gold"]},
                {"not": {"field": "name", "op": "eq", "value": "c1"}},
            ]
        },
        "sort": [{"field": "flight_hours", "direction": "asc"}],
        "limit": 7,
        "count": True,
    }
    seen = []
    page = crm.post(f"{R}/query", json=body).json()
    assert page["total"] == 19
    while True:
        seen += page["items"]
        if not page["next_cursor"]:
            break
        page = crm.post(f"{R}/query", json={**body, "cursor": page["next_cursor"]}).json()
    assert len(seen) == 19 and len({x["id"] for x in seen}) == 19
    hours = [x["flight_hours"] for x in seen]
    non_blank = [h for h in hours if h is not None]
    assert non_blank == sorted(non_blank) and hours[-1] is None  # blanks last ascending


def test_simple_get_filters(crm: TestClient) -> None:
    crm.post(
        f"{R}/bulk",
        json={
            "records": [
                {"name": "A", "tier": "VIP", "flight_hours": 600},
                {"name": "B", "tier": "VIP", "flight_hours": 100},
                {"name": "C", "tier": "Gold"},
            ]
        },
    )
    page = crm.get(f"{R}?tier=VIP&flight_hours__gt=500&sort=-flight_hours&fields=name").json()
    assert page["items"] == [
        {
            "id": page["items"][0]["id"],
            "version": 1,
            "created_at": page["items"][0]["created_at"],
            "updated_at": page["items"][0]["updated_at"],
            "name": "A",
        }
    ]


def test_filter_with_wrong_operator(crm: TestClient) -> None:
    r = crm.post(f"{R}/query", json={"filter": {"field": "active", "op": "contains", "value": "x"}})
    assert r.status_code == 422
    assert "contains" in r.json()["errors"][0]["message"]
    r = crm.post(f"{R}/query", json={"filter": {"field": "nope", "op": "eq", "value": 1}})
    assert r.status_code == 422


def test_stale_version_in_service_raises_conflict(crm: TestClient, services: Services) -> None:
    rec = services.records.create("crm", "customers", {"name": "A"})
    services.records.update("crm", "customers", rec["id"], {"version": 1, "name": "B"})
    with pytest.raises(Conflict):
        services.records.update("crm", "customers", rec["id"], {"version": 1, "name": "C"})


def test_auto_numbers_unique_under_concurrency(crm: TestClient, services: Services) -> None:
    errors: list[Exception] = []

    def worker(n: int) -> None:
        try:
            for i in range(5):
                services.records.bulk(
                    "crm",
                    "customers",
                    [{"name": f"{n}-{i}-{j}"} for j in range(10)],
                    return_items=False,
                )
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    page = services.records.query("crm", "customers", limit=1000, fields=["customer_no"])
    numbers = [x["customer_no"] for x in page["items"]]
    assert len(numbers) == 200 and len(set(numbers)) == 200
    assert sorted(numbers)[-1] == "C-00200"


def test_lookups_show_values_as_their_target_does(crm: TestClient) -> None:
    T = "/api/v1/apps/crm/tables"
    crm.post(
        f"{T}/orders/fields",
        json={
            "key": "tier",
            "type": "lookup",
            "options": {"relation": "customer", "field": "tier"},
        },
    )
    crm.post(
        f"{T}/orders/fields",
        json={
            "key": "contact",
            "type": "lookup",
            "options": {"relation": "customer", "field": "last_contact"},
        },
    )
    crm.post(
        f"{T}/customers/fields",
        json={
            "key": "order_days",
            "type": "lookup",
            "options": {"relation": "orders", "field": "amount"},
        },
    )
    c = crm.post(
        R, json={"name": "A", "tier": "VIP", "last_contact": "2026-01-05T09:00:00+08:00"}
    ).json()
    o = crm.post(ORD, json={"title": "x", "amount": 12.5, "customer": c["id"]}).json()
    crm.post(ORD, json={"title": "y", "amount": 3, "customer": c["id"]})
    assert o["tier"] == "VIP"
    assert o["contact"] == "2026-01-05T09:00:00+08:00"
    assert crm.get(f"{R}/{c['id']}").json()["order_days"] == [12.5, 3]


def test_many_to_many_from_both_sides(crm: TestClient) -> None:
    T = "/api/v1/apps/crm/tables"
    make_table(crm, "crm", "tags", "标签", [{"key": "label", "type": "text"}])
    created(
        crm,
        f"{T}/customers/fields",
        {
            "key": "tags",
            "type": "relation",
            "options": {
                "target_table": "tags",
                "multiple": True,
                "reverse": {"key": "customers", "multiple": True},
            },
        },
    )
    tags = crm.post(
        f"{T}/tags/records/bulk", json={"records": [{"label": "通航"}, {"label": "包机"}]}
    ).json()["items"]
    a = crm.post(R, json={"name": "A", "tags": [t["id"] for t in tags]}).json()
    b = crm.post(R, json={"name": "B", "tags": [tags[0]["id"]]}).json()
    assert a["tags"] == [tags[0]["id"], tags[1]["id"]]
    first = crm.get(f"{T}/tags/records/{tags[0]['id']}").json()
    assert sorted(first["customers"]) == sorted([a["id"], b["id"]])
    # Unlinking from the reverse side changes the forward side too, with history on the record written.
    r = crm.patch(f"{T}/tags/records/{tags[0]['id']}", json={"version": 1, "customers": [b["id"]]})
    assert r.status_code == 200, r.text
    assert crm.get(f"{R}/{a['id']}").json()["tags"] == [tags[1]["id"]]
    page = crm.post(
        f"{R}/query", json={"filter": {"field": "tags", "op": "contains", "value": tags[1]["id"]}}
    ).json()
    assert [x["id"] for x in page["items"]] == [a["id"]]


def test_bulk_with_prefer_minimal_returns_ids(crm: TestClient) -> None:
    r = crm.post(
        f"{R}/bulk",
        json={"records": [{"name": "A"}, {"name": "B"}]},
        headers={"prefer": "return=minimal"},
    )
    assert r.status_code == 201
    assert r.headers["preference-applied"] == "return=minimal"
    ids = r.json()["ids"]
    assert [crm.get(f"{R}/{i}").json()["name"] for i in ids] == ["A", "B"]
