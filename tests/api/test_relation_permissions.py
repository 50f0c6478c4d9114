"""Relation writes are permission-checked on the other side, through HTTP as real members.

Linking a record needs read access to the target (row scope included); a target the member may
not read is answered exactly as a missing id. Changing a reverse relation (the link lives on
the other record) is an update of each record it re-points, gaining or losing the link:
update permission and row scope on that table, the link field writable, and on each such
record a new version, a history entry and a ``record.updated`` event."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.auth import cli
from cairn.services import Services
from factories import make_user

C = "/api/v1/apps/crm/tables/customers/records"
ORD = "/api/v1/apps/crm/tables/orders/records"
MISSING = 987654


@dataclass
class World:
    services: Services
    admin: TestClient
    clients: dict[str, TestClient] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    cust: dict[str, int] = field(default_factory=dict)
    orders: dict[str, int] = field(default_factory=dict)

    def as_(self, name: str) -> TestClient:
        return self.clients[name]

    def order(self, name: str) -> dict[str, Any]:
        r = self.admin.get(f"{ORD}/{self.orders[name]}")
        assert r.status_code == 200, r.text
        return r.json()

    def customer(self, name: str) -> dict[str, Any]:
        return self.admin.get(f"{C}/{self.cust[name]}").json()

    def history(self, name: str) -> list[dict[str, Any]]:
        r = self.admin.get(f"{ORD}/{self.orders[name]}/history")
        return r.json()["items"]

    def events(self) -> list[tuple[str, int, int | None, dict[str, Any]]]:
        """(type, table id, record id, payload) of every outbox event, in order."""
        with self.services.engine.connect() as c:
            rows = c.execute(
                sa.text("select type, table_id, record_id, payload from outbox order by id")
            ).all()
        return [
            (t, tid, rid, p if isinstance(p, dict) else json.loads(p)) for t, tid, rid, p in rows
        ]

    def table_id(self, key: str) -> int:
        with self.services.engine.connect() as c:
            q = sa.text("select id from tables where key = :k")
            return c.execute(q, {"k": key}).scalar_one()


@pytest.fixture
def world(services: Services, crm: TestClient) -> Iterator[World]:
    w = World(services, crm)
    d = services.directory
    hq = d.create_department(cli(), {"name": "HQ"})["id"]
    sales = d.create_department(cli(), {"name": "Sales", "parent_id": hq})["id"]
    east = d.create_department(cli(), {"name": "Sales East", "parent_id": sales})["id"]
    ops = d.create_department(cli(), {"name": "Ops"})["id"]
    depts = {
        "sam": sales,
        "eve": east,
        "olga": ops,
        "boss": sales,
        "tess": sales,
        "uma": sales,
        "ron": sales,
        "lena": sales,
        "nora": sales,
    }
    app = create_app(services)
    for name, dept in depts.items():
        uid, token = make_user(services, name, department_id=dept)
        w.users[name] = uid
        w.clients[name] = TestClient(
            app, headers={"authorization": f"Bearer {token}", "accept-language": "en"}
        )
    for owner in ("sam", "eve", "olga"):
        body = {"name": f"{owner} Co"}
        rec = services.records.create("crm", "customers", body, actor_id=w.users[owner])
        w.cust[owner] = rec["id"]
    for name, customer, actor in (
        ("o-sam", "sam", None),
        ("o-eve", "eve", None),
        ("o-olga", "olga", None),
        ("o-free", None, None),
        ("o-ron", "sam", "ron"),
        ("o-ron-free", None, "ron"),
    ):
        body = {"title": name, "amount": 10, "customer": w.cust[customer] if customer else None}
        rec = services.records.create(
            "crm", "orders", body, actor_id=w.users[actor] if actor else None
        )
        w.orders[name] = rec["id"]

    def grant(table: str, actions: list[str], scope: str = "all", **kw: Any) -> dict[str, Any]:
        return {"app": "crm", "table": table, "actions": actions, "row_scope": scope, **kw}

    roles: list[tuple[str, list[dict[str, Any]]]] = [
        # Reads only their own customers; creates and edits orders.
        (
            "sam",
            [
                grant("customers", ["read"], "own"),
                grant("orders", ["create", "read", "update"]),
            ],
        ),
        # A manager: customers of their department tree (Sales and Sales East, not Ops).
        (
            "boss",
            [
                grant("customers", ["read"], "department_tree"),
                grant("orders", ["create", "read"]),
            ],
        ),
        # Creates and edits customers; creates and reads orders, may not update them.
        (
            "tess",
            [
                grant("customers", ["create", "read", "update"]),
                grant("orders", ["create", "read"]),
            ],
        ),
        # Edits customers and orders.
        ("uma", [grant("customers", ["read", "update"]), grant("orders", ["read", "update"])]),
        # Edits customers; reads every order, updates only their own (a second role).
        ("ron", [grant("customers", ["read", "update"]), grant("orders", ["read"])]),
        ("ron", [grant("orders", ["update"], "own")]),
        # Edits customers and orders, but an order's customer is read-only to them.
        (
            "lena",
            [
                grant("customers", ["read", "update"]),
                grant("orders", ["read", "update"], fields={"customer": "read_only"}),
            ],
        ),
        # Edits customers; reads only their own orders (none), updates every order.
        ("nora", [grant("customers", ["read", "update"]), grant("orders", ["read"], "own")]),
        ("nora", [grant("orders", ["update"])]),
    ]
    for i, (user, tables) in enumerate(roles):
        body = {"key": f"r_{user}_{i}", "name": f"{user} {i}", "tables": tables, "members": [user]}
        r = crm.post("/api/v1/roles", json=body)
        assert r.status_code == 201, r.text
    yield w
    for c in w.clients.values():
        c.close()


def _without_ids(body: dict[str, Any], *ids: int) -> str:
    """The answer with the ids it names replaced, to compare two answers."""
    text = json.dumps(body, sort_keys=True, ensure_ascii=False)
    for i in ids:
        text = re.sub(rf"\b{i}\b", "<id>", text)
    return text


# -- linking needs read access to the target -----------------------------------------------


def test_own_scope_link_to_another_owners_customer_is_answered_as_missing(world: World) -> None:
    s = world.as_("sam")
    before = len(world.admin.get(ORD).json()["items"])
    hidden = s.post(ORD, json={"title": "x", "customer": world.cust["eve"]})
    missing = s.post(ORD, json={"title": "x", "customer": MISSING})
    assert hidden.status_code == missing.status_code == 422
    assert hidden.json()["errors"][0]["field"] == "customer"
    assert _without_ids(hidden.json(), world.cust["eve"]) == _without_ids(missing.json(), MISSING)
    assert len(world.admin.get(ORD).json()["items"]) == before
    # Their own customer: linked.
    ok = s.post(ORD, json={"title": "y", "customer": world.cust["sam"]})
    assert ok.status_code == 201, ok.text
    assert ok.json()["customer"] == world.cust["sam"]
    # An update re-pointing an order to a customer they may not read: the same answer.
    o = world.order("o-sam")
    hidden = s.patch(
        f"{ORD}/{o['id']}", json={"version": o["version"], "customer": world.cust["olga"]}
    )
    missing = s.patch(f"{ORD}/{o['id']}", json={"version": o["version"], "customer": MISSING})
    assert hidden.status_code == missing.status_code == 422
    assert _without_ids(hidden.json(), world.cust["olga"]) == _without_ids(missing.json(), MISSING)
    assert world.order("o-sam")["customer"] == world.cust["sam"]
    assert world.order("o-sam")["version"] == o["version"]


def test_manager_cannot_link_outside_their_department_tree(world: World) -> None:
    b = world.as_("boss")
    outside = b.post(ORD, json={"title": "x", "customer": world.cust["olga"]})
    missing = b.post(ORD, json={"title": "x", "customer": MISSING})
    assert outside.status_code == missing.status_code == 422
    assert _without_ids(outside.json(), world.cust["olga"]) == _without_ids(missing.json(), MISSING)
    # Sales East lies below Sales: inside the tree.
    inside = b.post(ORD, json={"title": "y", "customer": world.cust["eve"]})
    assert inside.status_code == 201, inside.text


def test_bulk_create_with_one_unreadable_target_is_refused_whole(world: World) -> None:
    before = len(world.admin.get(ORD).json()["items"])
    body = {
        "records": [
            {"title": "a", "customer": world.cust["sam"]},
            {"title": "b", "customer": world.cust["eve"]},
            {"title": "c", "customer": world.cust["sam"]},
        ]
    }
    r = world.as_("sam").post(f"{ORD}/bulk", json=body)
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["records.1.customer"]
    assert "eve Co" not in r.text
    assert len(world.admin.get(ORD).json()["items"]) == before
    del body["records"][1]
    assert world.as_("sam").post(f"{ORD}/bulk", json=body).status_code == 201


def test_reverse_side_targets_need_read_access_too(world: World) -> None:
    # nora may update every order but reads only her own (none): the orders are "missing".
    c = world.customer("sam")
    r = world.as_("nora").patch(
        f"{C}/{c['id']}", json={"version": c["version"], "orders": [world.orders["o-eve"]]}
    )
    missing = world.as_("nora").patch(
        f"{C}/{c['id']}", json={"version": c["version"], "orders": [MISSING]}
    )
    assert r.status_code == missing.status_code == 422
    assert _without_ids(r.json(), world.orders["o-eve"]) == _without_ids(missing.json(), MISSING)
    assert world.order("o-eve")["customer"] == world.cust["eve"]


# -- a reverse relation change is an update of each re-pointed record ----------------------


def test_reverse_patch_without_update_on_orders_is_refused(world: World) -> None:
    c = world.customer("sam")
    o_free, o_sam = world.order("o-free"), world.order("o-sam")
    events = len(world.events())
    r = world.as_("tess").patch(
        f"{C}/{c['id']}",
        json={
            "version": c["version"],
            "orders": [o_sam["id"], world.orders["o-ron"], o_free["id"]],
        },
    )
    assert r.status_code == 403, r.text
    assert world.order("o-free") == o_free
    assert world.customer("sam") == c
    assert len(world.history("o-free")) == 1  # the creation
    assert len(world.events()) == events
    # Unlinking alone is a change of the order too.
    r = world.as_("tess").patch(f"{C}/{c['id']}", json={"version": c["version"], "orders": []})
    assert r.status_code == 403
    assert world.order("o-sam") == o_sam
    assert world.customer("sam") == c
    assert len(world.events()) == events


def test_reverse_patch_updates_each_repointed_record(world: World) -> None:
    c = world.customer("sam")
    o_free, o_sam, o_ron = world.order("o-free"), world.order("o-sam"), world.order("o-ron")
    seen = len(world.events())
    r = world.as_("uma").patch(
        f"{C}/{c['id']}",
        json={"version": c["version"], "orders": [o_free["id"], o_ron["id"]]},
    )
    assert r.status_code == 200, r.text
    assert sorted(r.json()["orders"]) == sorted([o_free["id"], o_ron["id"]])
    assert r.json()["version"] == c["version"] + 1
    # o-free gained the link, o-sam lost it; o-ron kept it: unchanged.
    after_free, after_sam = world.order("o-free"), world.order("o-sam")
    assert after_free["customer"] == c["id"] and after_free["version"] == o_free["version"] + 1
    assert after_sam["customer"] is None and after_sam["version"] == o_sam["version"] + 1
    assert world.order("o-ron") == o_ron
    for name, before, after in (("o-free", [], [c["id"]]), ("o-sam", [c["id"]], [])):
        h = world.history(name)
        assert [e["action"] for e in h] == ["update", "create"]
        assert h[0]["actor_id"] == world.users["uma"]
        assert h[0]["version"] == world.order(name)["version"]
        assert [(x["field"], x["before"], x["after"]) for x in h[0]["changes"]] == [
            ("customer", before, after)
        ]
    orders_table = world.table_id("orders")
    new = [e for e in world.events()[seen:] if e[1] == orders_table]
    assert sorted(e[2] for e in new) == sorted([o_free["id"], o_sam["id"]])
    by_record = {rid: p for t, _, rid, p in new if t == "record.updated"}
    assert by_record[o_free["id"]]["version"] == o_free["version"] + 1
    assert by_record[o_free["id"]]["changes"]["customer"] == [[], [c["id"]]]
    assert by_record[o_sam["id"]]["changes"]["customer"] == [[c["id"]], []]
    # The audit log has each order's update too.
    audit = world.admin.get("/api/v1/audit", params={"action": "record.update"}).json()["items"]
    orders_audited = {int(a["target_id"]) for a in audit if a["table_id"] == orders_table}
    assert orders_audited == {o_free["id"], o_sam["id"]}


def test_reverse_patch_outside_the_update_scope_is_refused(world: World) -> None:
    c, e = world.customer("sam"), world.customer("eve")
    o_sam, o_free, o_ron_free = (
        world.order("o-sam"),
        world.order("o-free"),
        world.order("o-ron-free"),
    )
    # Unlinking o-sam (not ron's) would change it.
    r = world.as_("ron").patch(
        f"{C}/{c['id']}",
        json={"version": c["version"], "orders": [world.orders["o-ron"], o_ron_free["id"]]},
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "orders"
    assert world.order("o-sam") == o_sam and world.order("o-ron-free") == o_ron_free
    assert world.customer("sam") == c
    # So would linking o-free (not his either), although he reads it.
    r = world.as_("ron").patch(
        f"{C}/{e['id']}",
        json={"version": e["version"], "orders": [world.orders["o-eve"], o_free["id"]]},
    )
    assert r.status_code == 422, r.text
    assert world.order("o-free") == o_free
    # Re-pointing his own order only: allowed, and logged on it.
    r = world.as_("ron").patch(
        f"{C}/{e['id']}",
        json={"version": e["version"], "orders": [world.orders["o-eve"], o_ron_free["id"]]},
    )
    assert r.status_code == 200, r.text
    assert world.order("o-ron-free")["customer"] == e["id"]
    assert world.order("o-ron-free")["version"] == o_ron_free["version"] + 1


def test_reverse_patch_needs_the_link_field_writable_on_the_other_record(world: World) -> None:
    c = world.customer("sam")
    o_free = world.order("o-free")
    r = world.as_("lena").patch(
        f"{C}/{c['id']}",
        json={"version": c["version"], "orders": [world.orders["o-sam"], o_free["id"]]},
    )
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "auth.field_denied"
    assert world.order("o-free") == o_free and world.customer("sam") == c


def test_bulk_reverse_writes_check_and_log_every_record(world: World) -> None:
    sam, eve, olga = world.customer("sam"), world.customer("eve"), world.customer("olga")
    body = {
        "records": [
            {"id": sam["id"], "version": sam["version"], "orders": []},
            {"id": eve["id"], "version": eve["version"], "orders": [world.orders["o-sam"]]},
            {"id": olga["id"], "version": olga["version"], "orders": []},
        ]
    }
    assert world.as_("tess").post(f"{C}/bulk", json=body).status_code == 403
    assert world.order("o-sam")["customer"] == sam["id"]
    r = world.as_("uma").post(f"{C}/bulk", json=body)
    assert r.status_code == 201, r.text
    # o-sam moved from sam's customer to eve's: one change of the order, not two.
    assert world.order("o-sam")["customer"] == eve["id"]
    h = world.history("o-sam")
    assert len(h) == 2 and h[0]["changes"][0]["before"] == [sam["id"]]
    assert h[0]["changes"][0]["after"] == [eve["id"]]
    for name in ("o-sam", "o-eve", "o-olga", "o-ron"):
        assert world.order(name)["version"] == 2, name
        assert len(world.history(name)) == 2, name
    assert world.order("o-free")["version"] == 1


def test_creating_a_record_with_a_reverse_relation_updates_the_linked_records(
    world: World,
) -> None:
    o_free = world.order("o-free")
    r = world.as_("tess").post(C, json={"name": "New", "orders": [o_free["id"]]})
    assert r.status_code == 403  # tess may not update orders
    assert world.order("o-free") == o_free
    r = world.admin.post(C, json={"name": "New", "orders": [o_free["id"]]})
    assert r.status_code == 201, r.text
    after = world.order("o-free")
    assert after["customer"] == r.json()["id"] and after["version"] == o_free["version"] + 1
    assert world.history("o-free")[0]["changes"][0]["after"] == [r.json()["id"]]


def test_a_relation_holding_many_whose_other_side_holds_one_updates_the_other_records(
    world: World,
) -> None:
    """customers.key_orders (defined on customers, many) ↔ orders.key_customer (one): each
    order holds its key customer, so the link lives on the order whichever side is written."""
    r = world.admin.post(
        "/api/v1/apps/crm/tables/customers/fields",
        json={
            "key": "key_orders",
            "type": "relation",
            "options": {
                "target_table": "orders",
                "multiple": True,
                "reverse": {"key": "key_customer", "multiple": False},
            },
        },
    )
    assert r.status_code == 201, r.text
    c, o_free = world.customer("sam"), world.order("o-free")
    r = world.as_("tess").patch(
        f"{C}/{c['id']}", json={"version": c["version"], "key_orders": [o_free["id"]]}
    )
    assert r.status_code == 403
    assert world.order("o-free") == o_free
    r = world.as_("uma").patch(
        f"{C}/{c['id']}", json={"version": c["version"], "key_orders": [o_free["id"]]}
    )
    assert r.status_code == 200, r.text
    after = world.order("o-free")
    assert after["key_customer"] == c["id"] and after["version"] == o_free["version"] + 1
    h = world.history("o-free")[0]
    assert [(x["field"], x["before"], x["after"]) for x in h["changes"]] == [
        ("key_customer", [], [c["id"]])
    ]
    # From the order's side the link is the order's own: linking needs read access only.
    o = world.order("o-sam")
    r = world.as_("sam").patch(
        f"{ORD}/{o['id']}", json={"version": o["version"], "key_customer": world.cust["sam"]}
    )
    assert r.status_code == 200, r.text
    assert world.customer("sam")["version"] == c["version"] + 1  # uma's write only
