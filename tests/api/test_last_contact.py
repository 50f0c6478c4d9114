"""The customers' last contact follows their interactions (issue 22), over HTTP on SQLite and
PostgreSQL: the customer view names a date or date-time field (a bad one is refused at its
path), every interaction logged by hand, posted by another system or logged in a batch moves it
forward to the interaction's time and never back, as a normal record update (its history names
who logged it), and app packages carry the setting."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
import yaml
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.services import Services
from cairn.store import system
from factories import make_user
from support.http import created

A = "/api/v1/apps/crm"
R = f"{A}/tables/customers/records"
VIEW = {"table": "customers", "metrics": [], "sections": [], "last_contact_field": "last_contact"}


def _client(services: Services, token: str) -> TestClient:
    return TestClient(
        create_app(services), headers={"accept-language": "en", "authorization": f"Bearer {token}"}
    )


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def _at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def _record(client: TestClient, rid: int) -> dict:
    return client.get(f"{R}/{rid}").json()


def _updates(services: Services) -> int:
    o = system.outbox
    with services.engine.connect() as c:
        return c.execute(
            sa.select(sa.func.count()).select_from(o).where(o.c.type == "record.updated")
        ).scalar_one()


def test_a_bad_last_contact_field_is_refused_at_its_path(crm: TestClient) -> None:
    for bad in ("name", "nope", 7, "active"):
        r = crm.put(f"{A}/customer-view", json={**VIEW, "last_contact_field": bad})
        assert r.status_code == 422, (bad, r.text)
        assert [e["field"] for e in r.json()["errors"]] == ["last_contact_field"], r.text
    assert "date" in r.text
    assert "last_contact_field" not in crm.get(f"{A}/customer-view").json()
    for good in ("last_contact", "signed_on"):
        r = crm.put(f"{A}/customer-view", json={**VIEW, "last_contact_field": good})
        assert r.status_code == 200, r.text
        assert crm.get(f"{A}/customer-view").json()["last_contact_field"] == good
    # unset again
    assert crm.put(f"{A}/customer-view", json={**VIEW, "last_contact_field": None}).json() == {
        "table": "customers",
        "metrics": [],
        "sections": [],
    }


def test_interactions_move_the_last_contact_forward_never_back(
    crm: TestClient, services: Services
) -> None:
    assert crm.put(f"{A}/customer-view", json=VIEW).status_code == 200
    rec = created(crm, R, {"name": "王芳", "last_contact": "2020-01-01T00:00:00Z"})
    rid = rec["id"]
    before = _updates(services)
    # older than what is stored: nothing changes
    created(crm, f"{R}/{rid}/interactions", {"kind": "call", "occurred_at": "2019-06-01T08:00:00Z"})
    assert _record(crm, rid)["version"] == rec["version"]
    assert _updates(services) == before
    # newer: the field moves, as an update the history and the outbox see, by the logger
    created(
        crm,
        f"{R}/{rid}/interactions",
        {"kind": "visit", "occurred_at": "2020-05-01T09:30:00+08:00"},
    )
    now = _record(crm, rid)
    assert _moment(now["last_contact"]) == _at(2020, 5, 1, 1, 30)
    assert now["version"] == rec["version"] + 1
    assert _updates(services) == before + 1
    history = crm.get(f"{R}/{rid}/history").json()["items"]
    last = history[0]
    assert last["action"] == "update" and last["actor_id"] == 1
    assert [c["field"] for c in last["changes"]] == ["last_contact"]
    # a member who may only read the customer logs one: it moves, written in their name
    uid, token = make_user(services, "li")
    role = {
        "key": "readers",
        "tables": [{"app": "crm", "table": "customers", "actions": ["read"]}],
        "members": ["li"],
    }
    assert crm.post("/api/v1/roles", json=role).status_code == 201
    with _client(services, token) as c:
        created(
            c, f"{R}/{rid}/interactions", {"kind": "email", "occurred_at": "2021-03-01T00:00:00Z"}
        )
        assert c.patch(f"{R}/{rid}", json={"name": "x", "version": 9}).status_code == 403
    assert _moment(_record(crm, rid)["last_contact"]) == _at(2021, 3, 1)
    assert crm.get(f"{R}/{rid}/history").json()["items"][0]["actor_id"] == uid
    # posted by another system: by the system
    post = {
        "table": "customers",
        "record_id": rid,
        "kind": "login",
        "occurred_at": "2022-02-02T02:02:02Z",
    }
    assert crm.post(f"{A}/interactions", json=post).status_code == 201
    assert _moment(_record(crm, rid)["last_contact"]) == _at(2022, 2, 2, 2, 2, 2)
    assert crm.get(f"{R}/{rid}/history").json()["items"][0]["actor_id"] is None
    # the replay stores nothing and moves nothing
    v = _record(crm, rid)["version"]
    key = {"Idempotency-Key": "k-1"}
    later = {**post, "occurred_at": "2023-01-01T00:00:00Z"}
    assert crm.post(f"{A}/interactions", json=later, headers=key).status_code == 201
    assert crm.post(f"{A}/interactions", json=later, headers=key).status_code == 200
    assert _record(crm, rid)["version"] == v + 1
    # an empty field is filled
    empty = created(crm, R, {"name": "李雷"})["id"]
    created(
        crm, f"{R}/{empty}/interactions", {"kind": "call", "occurred_at": "2020-01-01T00:00:00Z"}
    )
    assert _moment(_record(crm, empty)["last_contact"]) == _at(2020, 1, 1)


def test_a_batch_moves_each_customer_to_its_newest_and_a_date_field_takes_the_local_day(
    crm: TestClient, services: Services
) -> None:
    assert (
        crm.put(f"{A}/customer-view", json={**VIEW, "last_contact_field": "signed_on"}).status_code
        == 200
    )
    a = created(crm, R, {"name": "甲", "signed_on": "2020-01-01"})["id"]
    b = created(crm, R, {"name": "乙", "signed_on": "2030-01-01"})["id"]
    items = [
        {"record_id": a, "kind": "call", "occurred_at": "2021-05-01T17:00:00Z"},  # 05-02 +08:00
        {"record_id": a, "kind": "call", "occurred_at": "2021-04-01T00:00:00Z"},
        {"record_id": b, "kind": "visit", "occurred_at": "2021-04-01T00:00:00Z"},
    ]
    assert len(services.interactions.log_many("crm", "customers", items)) == 3
    assert _record(crm, a)["signed_on"] == "2021-05-02"
    assert _record(crm, b)["signed_on"] == "2030-01-01"  # never moved back
    # a table other than the customer table is left alone
    order = created(crm, f"{A}/tables/orders/records", {"title": "o"})["id"]
    created(crm, f"{A}/tables/orders/records/{order}/interactions", {"kind": "call"})


def test_the_package_carries_the_last_contact_field(crm: TestClient) -> None:
    assert crm.put(f"{A}/customer-view", json=VIEW).status_code == 200
    text = crm.get(f"{A}/export").text
    assert yaml.safe_load(text)["customer_view"]["last_contact_field"] == "last_contact"
    r = crm.post("/api/v1/apps/import?key=copy", content=text.encode())
    assert r.status_code == 201, r.text
    assert crm.get("/api/v1/apps/copy/customer-view").json() == VIEW
    pkg = yaml.safe_load(text)
    pkg["customer_view"]["last_contact_field"] = "name"
    r = crm.post("/api/v1/apps/import?key=copy2", content=yaml.safe_dump(pkg).encode())
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "customer_view.last_contact_field"
