"""The customer timeline through HTTP, on both databases: sources through one to three hops
(customer → vehicles → repairs → parts; customer → contracts → payments), comments, notable
changes, interactions and messages; permission slices (a member without payments never sees
them, their count or their titles; a hidden title field falls back to "<table> #<id>"); keyset
paging over equal timestamps with no duplicates and no gaps; refused configurations."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cairn.api import create_app
from cairn.core import FrozenClock
from cairn.services import Services
from cairn.store.tables.interactions import interactions
from factories import make_admin, make_user

V = "/api/v1/apps/crm/customer-view"
C = "/api/v1/apps/crm/tables/customers/records"
T0 = datetime(2026, 3, 1, 9, 0)


def catalog(services: Services) -> Any:
    with services.engine.connect() as conn:
        return services.catalogs.get(conn)


def tl(cid: int) -> str:
    return f"{C}/{cid}/timeline"


def rel(key: str, target: str, reverse: str, multiple: bool = False) -> dict[str, Any]:
    return {
        "key": key,
        "name": key,
        "type": "relation",
        "options": {
            "target_table": target,
            "multiple": multiple,
            "reverse": {"key": reverse, "name": reverse, "multiple": True},
        },
    }


def make_tables(services: Services) -> None:
    sc = services.schema
    sc.create_table(
        "crm", {"key": "vehicles", "name": "车辆", "fields": [{"key": "vin", "type": "text"}]}
    )
    sc.create_field("crm", "vehicles", rel("owner", "customers", "vehicles"))
    sc.create_table(
        "crm",
        {
            "key": "repairs",
            "name": "维修单",
            "fields": [
                {"key": "order_no", "type": "text"},
                {"key": "status", "type": "text"},
                {"key": "opened_on", "type": "date"},
            ],
        },
    )
    sc.create_field("crm", "repairs", rel("vehicle", "vehicles", "repairs"))
    sc.create_table(
        "crm",
        {
            "key": "parts",
            "name": "配件",
            "fields": [{"key": "part", "type": "text"}, {"key": "fitted_at", "type": "datetime"}],
        },
    )
    sc.create_field("crm", "parts", rel("repair", "repairs", "parts"))
    sc.create_table(
        "crm", {"key": "contracts", "name": "合同", "fields": [{"key": "no", "type": "text"}]}
    )
    sc.create_field("crm", "contracts", rel("customer", "customers", "contracts"))
    sc.create_table(
        "crm",
        {
            "key": "payments",
            "name": "付款",
            "fields": [
                {"key": "ref", "type": "text"},
                {"key": "amount", "type": "number"},
                {"key": "paid_at", "type": "datetime"},
            ],
        },
    )
    sc.create_field("crm", "payments", rel("contract", "contracts", "payments"))


TIMELINE = {
    "sources": [
        {
            "path": ["vehicles", "repairs"],
            "date_field": "opened_on",
            "title": "{order_no} · {status}",
            "label": "Repairs",
        },
        {
            "path": ["vehicles", "repairs", "parts"],
            "date_field": "fitted_at",
            "title": "{part}",
            "label": "Parts",
        },
        {
            "path": ["contracts", "payments"],
            "date_field": "paid_at",
            "title": "{ref} ¥{amount}",
            "label": "Payments",
        },
        {"path": ["orders"], "date_field": None, "title": "{title}", "label": "Orders"},
    ],
    "notable_fields": {"customers": ["tier"], "repairs": ["status"]},
    "system": ["comments", "changes", "process", "messages", "interactions"],
}


@dataclass
class World:
    services: Services
    clock: FrozenClock
    admin: TestClient
    cust: dict[str, int] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    clients: dict[str, TestClient] = field(default_factory=dict)

    def create(self, table: str, data: dict[str, Any], at: datetime | None = None) -> int:
        if at is not None:
            self.clock.set(at)
        return int(self.services.records.create("crm", table, data)["id"])

    def update(self, table: str, rid: int, data: dict[str, Any]) -> None:
        version = self.services.records.get("crm", table, rid)["version"]
        self.services.records.update("crm", table, rid, {**data, "version": version})


@pytest.fixture
def world(services: Services, frozen_clock: FrozenClock) -> Iterator[World]:
    make_tables(services)
    app = create_app(services)
    token = make_admin(services, "boss")
    headers = {"authorization": f"Bearer {token}", "accept-language": "en"}
    with TestClient(app, headers=headers) as admin:
        w = World(services, frozen_clock, admin)
        r = admin.put(
            V, json={"table": "customers", "metrics": [], "sections": [], "timeline": TIMELINE}
        )
        assert r.status_code == 200, r.text
        w.cust["acme"] = w.create("customers", {"name": "Acme", "tier": "Gold"}, T0)
        w.cust["other"] = w.create("customers", {"name": "Other"}, T0)
        acme, other = w.cust["acme"], w.cust["other"]
        v1 = w.create("vehicles", {"vin": "V1", "owner": acme}, T0 + timedelta(hours=1))
        v2 = w.create("vehicles", {"vin": "V2", "owner": other})
        w.ids["r1"] = w.create(
            "repairs",
            {"order_no": "RO-1", "status": "open", "opened_on": "2026-03-02", "vehicle": v1},
        )
        w.ids["r2"] = w.create(
            "repairs",
            {"order_no": "RO-2", "status": "done", "opened_on": "2026-03-05", "vehicle": v1},
        )
        w.create(
            "repairs",
            {"order_no": "RO-X", "status": "open", "opened_on": "2026-03-06", "vehicle": v2},
        )
        w.ids["p1"] = w.create(
            "parts",
            {"part": "Brake pad", "fitted_at": "2026-03-03T10:00:00Z", "repair": w.ids["r1"]},
        )
        k1 = w.create("contracts", {"no": "K-1", "customer": acme})
        w.ids["pay1"] = w.create(
            "payments",
            {"ref": "PAY-1", "amount": 1200, "paid_at": "2026-03-04T08:00:00Z", "contract": k1},
        )
        w.ids["pay2"] = w.create(
            "payments",
            {"ref": "PAY-2", "amount": 800, "paid_at": "2026-03-07T08:00:00Z", "contract": k1},
        )
        w.ids["o1"] = w.create(
            "orders", {"title": "First order", "customer": acme}, T0 + timedelta(days=2)
        )
        w.create("orders", {"title": "Not theirs", "customer": other})
        # A notable change of the customer, one of a repair, and one that is not notable.
        w.clock.set(T0 + timedelta(days=8))
        w.update("customers", acme, {"tier": "VIP"})
        w.update("customers", acme, {"email": "a@acme.test"})
        w.update("repairs", w.ids["r1"], {"status": "done"})
        # A comment on the customer, one on a repair, an interaction and a message.
        w.clock.set(T0 + timedelta(days=9))
        r = admin.post(f"{C}/{acme}/comments", json={"body": "Called about renewal"})
        assert r.status_code == 201, r.text
        r = admin.post(
            f"/api/v1/apps/crm/tables/repairs/records/{w.ids['r1']}/comments",
            json={"body": "Parts late"},
        )
        assert r.status_code == 201, r.text
        s = catalog(services)
        with services.engine.begin() as conn:
            conn.execute(
                interactions.insert().values(
                    app_id=s.app("crm").id,
                    table_id=s.table("crm", "customers").id,
                    record_id=acme,
                    kind="call",
                    direction="in",
                    occurred_at=T0 + timedelta(days=10),
                    subject="Inbound call",
                    source="manual",
                    created_at=T0 + timedelta(days=10),
                )
            )
            conn.execute(
                sa.text(
                    "insert into deliveries (channel, kind, recipient, subject, status, attempts,"
                    " table_id, record_id, created_at) values ('email:main', 'email', 'a@acme.test',"
                    " 'Welcome', 'sent', 1, :t, :r, :at)"
                ),
                {"t": s.table("crm", "customers").id, "r": acme, "at": T0 + timedelta(days=11)},
            )
        yield w
        for c in w.clients.values():
            c.close()


def member(w: World, name: str, grants: list[dict[str, Any]]) -> TestClient:
    _, token = make_user(w.services, name)
    r = w.admin.post(
        "/api/v1/roles", json={"key": name, "name": name, "members": [name], "tables": grants}
    )
    assert r.status_code == 201, r.text
    c = TestClient(
        create_app(w.services),
        headers={"authorization": f"Bearer {token}", "accept-language": "en"},
    )
    w.clients[name] = c
    return c


def grant(table: str, scope: str = "all", **kw: Any) -> dict[str, Any]:
    return {"app": "crm", "table": table, "actions": ["read"], "row_scope": scope, **kw}


ALL = ["customers", "vehicles", "repairs", "parts", "contracts", "payments", "orders"]


def test_everything_in_time_order_across_three_hops(world: World) -> None:
    r = world.admin.get(tl(world.cust["acme"]))
    assert r.status_code == 200, r.text
    body = r.json()
    got = [(e["kind"], e["title"]) for e in body["entries"]]
    assert got == [
        ("message", "Welcome"),
        ("interaction", "Inbound call"),
        ("comment", "Parts late"),
        ("comment", "Called about renewal"),
        ("change", "status"),
        ("change", "等级"),
        ("source:2", "PAY-2 ¥800"),
        ("source:0", "RO-2 · done"),
        ("source:2", "PAY-1 ¥1200"),
        ("source:1", "Brake pad"),
        ("source:3", "First order"),
        ("source:0", "RO-1 · done"),
    ]
    # Newest first; each entry links its record.
    ats = [e["at"] for e in body["entries"]]
    assert ats == sorted(ats, reverse=True)
    parts = next(e for e in body["entries"] if e["kind"] == "source:1")
    assert parts["table"] == "parts" and parts["record_id"] == world.ids["p1"]
    tier = next(e for e in body["entries"] if e["title"] == "等级")
    assert tier["detail"]["changes"] == [
        {"field": "tier", "name": "等级", "before": "Gold", "after": "VIP"}
    ]
    assert tier["table"] == "customers" and tier["record_id"] == world.cust["acme"]
    kinds = {k["kind"]: k for k in body["kinds"]}
    assert kinds["source:2"] == {"kind": "source:2", "label": "Payments", "count": 2, "more": False}
    assert kinds["source:0"]["count"] == 2 and kinds["comment"]["count"] == 2
    assert body["next"] is None


def test_filters_by_kind_and_date(world: World) -> None:
    acme = world.cust["acme"]
    r = world.admin.get(tl(acme), params={"kinds": ["source:0", "source:2"]})
    assert [e["kind"] for e in r.json()["entries"]] == [
        "source:2",
        "source:0",
        "source:2",
        "source:0",
    ]
    r = world.admin.get(tl(acme), params={"from": "2026-03-04", "to": "2026-03-05"})
    assert [e["title"] for e in r.json()["entries"]] == ["RO-2 · done", "PAY-1 ¥1200"]
    r = world.admin.get(tl(acme), params={"kinds": ["nope"]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "kinds.0"
    assert world.admin.get(tl(acme), params={"before": "garbage"}).status_code == 422
    assert world.admin.get(tl(acme), params={"limit": 0}).status_code == 422
    assert world.admin.get(tl(acme), params={"limit": 201}).status_code == 422
    assert world.admin.get(tl(acme), params={"from": "yesterday"}).status_code == 422
    assert world.admin.get(tl(987654)).status_code == 404


def test_a_member_without_payments_never_sees_them(world: World) -> None:
    m = member(world, "nopay", [grant(t) for t in ALL if t != "payments"])
    body = m.get(tl(world.cust["acme"])).json()
    assert "source:2" not in {k["kind"] for k in body["kinds"]}
    assert not [e for e in body["entries"] if e["kind"] == "source:2"]
    assert "PAY" not in str(body)
    # Asking for them by name is as for an unknown kind.
    assert m.get(tl(world.cust["acme"]), params={"kinds": ["source:2"]}).status_code == 422
    # Without vehicles, neither repairs nor parts (every table on the path), nor their comments.
    m2 = member(world, "novehicles", [grant(t) for t in ALL if t != "vehicles"])
    body = m2.get(tl(world.cust["acme"])).json()
    kinds = {k["kind"] for k in body["kinds"]}
    assert {"source:0", "source:1"}.isdisjoint(kinds) and "source:2" in kinds
    assert "Parts late" not in str(body) and "RO-" not in str(body)


def test_hidden_title_fields_fall_back_and_hidden_changes_never_show(world: World) -> None:
    grants = [grant(t) for t in ALL if t not in ("repairs", "customers")]
    grants.append(grant("repairs", fields={"status": "hidden"}))
    grants.append(grant("customers", fields={"tier": "hidden"}))
    m = member(world, "nostatus", grants)
    body = m.get(tl(world.cust["acme"])).json()
    titles = [e["title"] for e in body["entries"] if e["kind"] == "source:0"]
    assert titles == [f"维修单 #{world.ids['r2']}", f"维修单 #{world.ids['r1']}"]
    assert "done" not in str(body) and "VIP" not in str(body)
    assert not [e for e in body["entries"] if e["kind"] == "change"]


def test_row_scope_applies_on_every_hop(world: World) -> None:
    # Vehicles of their own only (none): the repairs and parts behind them are not reached.
    grants = [grant(t) for t in ALL if t != "vehicles"] + [grant("vehicles", "own")]
    m = member(world, "ownvehicles", grants)
    body = m.get(tl(world.cust["acme"])).json()
    kinds = {k["kind"]: k for k in body["kinds"]}
    assert kinds["source:0"]["count"] == 0 and kinds["source:1"]["count"] == 0
    assert not [e for e in body["entries"] if e["kind"] in ("source:0", "source:1")]
    # A customer outside their scope is not found.
    m2 = member(world, "owncust", [grant("customers", "own")])
    assert m2.get(tl(world.cust["acme"])).status_code == 404


def test_refused_configs_name_the_path(world: World) -> None:
    before = world.admin.get(V).json()
    bad = {
        "sources": [
            {"path": ["vehicles", "vin"], "date_field": None, "title": "", "label": ""},
            {
                "path": ["vehicles", "repairs"],
                "date_field": "status",
                "title": "{nope}",
                "label": "",
            },
            {"path": ["nowhere"], "date_field": None, "title": "", "label": ""},
            {"path": ["a", "b", "c", "d"], "date_field": None, "title": "", "label": ""},
        ],
        "notable_fields": {"payments": ["amount"], "customers": ["zzz"]},
        "system": ["gossip"],
    }
    r = world.admin.put(
        V, json={"table": "customers", "metrics": [], "sections": [], "timeline": bad}
    )
    assert r.status_code == 422, r.text
    errors = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert set(errors) == {
        "timeline.sources.0.path.1",
        "timeline.sources.1.date_field",
        "timeline.sources.1.title",
        "timeline.sources.2.path.0",
        "timeline.sources.3.path",
        "timeline.notable_fields.payments",
        "timeline.notable_fields.customers.0",
        "timeline.system.0",
    }
    assert "vin" in errors["timeline.sources.0.path.1"]
    assert "nope" in errors["timeline.sources.1.title"]
    assert world.admin.get(V).json() == before


def test_a_deleted_field_drops_its_source_and_the_view_reads_back(world: World) -> None:
    got = world.admin.get(V).json()["timeline"]
    assert got["sources"][0]["path"] == ["vehicles", "repairs"]
    r = world.admin.delete("/api/v1/apps/crm/tables/contracts/fields/payments")
    assert r.status_code == 204, r.text
    got = world.admin.get(V).json()["timeline"]
    assert [s["label"] for s in got["sources"]] == ["Repairs", "Parts", "Orders"]


def test_the_source_date_index_is_built_when_saved(world: World) -> None:
    s = catalog(world.services)
    repairs = s.table("crm", "repairs")
    date_col = repairs.by_key["opened_on"].column_name
    insp = sa.inspect(world.services.engine)
    names = {ix["name"] for ix in insp.get_indexes(f"t_{repairs.id}")}
    assert f"ix_t{repairs.id}_tl_{date_col}" in names
    # The live ids of every table on a path: a walked entry's probe back to the customer
    # reads them alone (not the rows).
    for key in ("vehicles", "repairs", "parts", "contracts", "payments"):
        t = s.table("crm", key).id
        assert f"ix_t{t}_tl_id" in {ix["name"] for ix in insp.get_indexes(f"t_{t}")}


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    days=st.lists(st.integers(0, 3), min_size=1, max_size=25),
    limit=st.integers(1, 7),
)
def test_keyset_paging_has_no_gaps_or_duplicates(
    paging_world: tuple[TestClient, int, Any], days: list[int], limit: int
) -> None:
    admin, cid, add = paging_world
    add(days)
    full = admin.get(tl(cid), params={"limit": 200}).json()["entries"]
    seen: list[tuple[str, int]] = []
    before = None
    for _ in range(200):
        params: dict[str, Any] = {"limit": limit}
        if before:
            params["before"] = before
        page = admin.get(tl(cid), params=params).json()
        seen.extend((e["kind"], e["id"]) for e in page["entries"])
        before = page["next"]
        if before is None:
            break
    assert seen == [(e["kind"], e["id"]) for e in full]
    assert len(set(seen)) == len(seen)


@pytest.fixture
def paging_world(
    services: Services, frozen_clock: FrozenClock
) -> Iterator[tuple[TestClient, int, Any]]:
    """A customer whose orders (by creation), interactions and comments share a few instants."""
    token = make_admin(services, "pager")
    with TestClient(create_app(services), headers={"authorization": f"Bearer {token}"}) as admin:
        r = admin.put(
            V,
            json={
                "table": "customers",
                "metrics": [],
                "sections": [],
                "timeline": {
                    "sources": [
                        {"path": ["orders"], "date_field": None, "title": "{title}", "label": "O"}
                    ],
                    "notable_fields": {},
                    "system": ["comments", "interactions"],
                },
            },
        )
        assert r.status_code == 200, r.text
        frozen_clock.set(T0)
        cid = int(services.records.create("crm", "customers", {"name": "P"})["id"])
        s = catalog(services)
        n = [0]

        def add(days: list[int]) -> None:
            for d in days:
                n[0] += 1
                at = T0 + timedelta(days=d)
                frozen_clock.set(at)
                if n[0] % 3 == 0:
                    admin.post(f"{C}/{cid}/comments", json={"body": f"c{n[0]}"})
                elif n[0] % 3 == 1:
                    services.records.create("crm", "orders", {"title": f"o{n[0]}", "customer": cid})
                else:
                    with services.engine.begin() as conn:
                        conn.execute(
                            interactions.insert().values(
                                app_id=s.app("crm").id,
                                table_id=s.table("crm", "customers").id,
                                record_id=cid,
                                kind="visit",
                                occurred_at=at,
                                subject=f"i{n[0]}",
                                source="manual",
                                created_at=at,
                            )
                        )

        yield admin, cid, add


@pytest.mark.parametrize("scan", [2, 1000], ids=["sparse-fallback", "walk"])
def test_the_index_walk_gives_the_same_pages(
    world: World, monkeypatch: pytest.MonkeyPatch, scan: int
) -> None:
    """Sources with more than a few records are read by walking their date index (here from
    one record on), falling back to reading and sorting when the walk finds them sparse: the
    pages, counts and permission slices are the same."""
    from cairn.insight import timeline as engine
    from cairn.store import timeline as store

    acme = world.cust["acme"]
    expected = [world.admin.get(tl(acme), params={"limit": n}).json() for n in (3, 50)]
    m = member(world, "nopay2", [grant(t) for t in ALL if t != "payments"])
    slice_before = m.get(tl(acme)).json()["entries"]
    monkeypatch.setattr(engine, "COUNT_CAP", 0)
    monkeypatch.setattr(store, "WALK_SCAN", scan)
    got = [world.admin.get(tl(acme), params={"limit": n}).json() for n in (3, 50)]
    for e, g in zip(expected, got, strict=True):
        assert g["entries"] == e["entries"]
        assert g["next"] == e["next"]
    assert m.get(tl(acme)).json()["entries"] == slice_before
    # Paging through the walk: every entry once.
    seen, before = [], None
    while True:
        page = world.admin.get(
            tl(acme), params={"limit": 2, **({"before": before} if before else {})}
        ).json()
        seen += [(x["kind"], x["id"]) for x in page["entries"]]
        before = page["next"]
        if not before:
            break
    assert seen == [(x["kind"], x["id"]) for x in expected[1]["entries"]]


def test_a_many_to_many_path_counts_each_record_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two vehicles sharing one repair (a many-to-many hop): the repair is counted and listed
    once, through the walk too; one-to-many paths are known to reach each record one way."""
    from cairn.insight import timeline as engine
    from cairn.store.timeline import one_way

    sc = world.services.schema
    sc.create_field("crm", "repairs", rel("cars", "vehicles", "shared_repairs", multiple=True))
    r = world.admin.put(
        V,
        json={
            "table": "customers",
            "metrics": [],
            "sections": [],
            "timeline": {
                **TIMELINE,
                "sources": [
                    *TIMELINE["sources"],
                    {"path": ["vehicles", "shared_repairs"], "date_field": "opened_on"},
                ],
            },
        },
    )
    assert r.status_code == 200, r.text
    acme = world.cust["acme"]
    v3 = world.create("vehicles", {"vin": "V3", "owner": acme})
    v1 = world.services.records.get("crm", "customers", acme)["vehicles"][0]
    shared = world.create(
        "repairs",
        {"order_no": "RO-S", "opened_on": "2026-03-08", "vehicle": v3, "cars": [v1, v3]},
    )
    s = catalog(world.services)
    cust = s.table("crm", "customers")
    paths = {
        k: [cust.by_key["vehicles"], s.table("crm", "vehicles").by_key[k]]
        for k in ("repairs", "shared_repairs")
    }
    assert one_way(s, paths["repairs"]) and not one_way(s, paths["shared_repairs"])
    body = world.admin.get(tl(acme)).json()
    kinds = {k["kind"]: k for k in body["kinds"]}
    assert kinds["source:4"]["count"] == 1
    assert [e["record_id"] for e in body["entries"] if e["kind"] == "source:4"] == [shared]
    monkeypatch.setattr(engine, "COUNT_CAP", 0)  # every source walked
    body = world.admin.get(tl(acme)).json()
    assert [e["record_id"] for e in body["entries"] if e["kind"] == "source:4"] == [shared]


@pytest.mark.parametrize("cap", [99, 0], ids=["read", "walk"])
def test_built_statements_are_shared_but_never_the_customer_or_the_slice(
    world: World, monkeypatch: pytest.MonkeyPatch, cap: int
) -> None:
    """The statements of a page are built once and reused: the next customer's page (and the
    next page past a cursor) shows that customer's entries only, and a reader with a row
    scope gets its own slice after the administrator's page, and back."""
    from cairn.insight import timeline as engine

    monkeypatch.setattr(engine, "COUNT_CAP", cap)
    acme, other = world.cust["acme"], world.cust["other"]

    def records(body: dict[str, Any]) -> set[tuple[str, int]]:
        return {(e["table"], e["record_id"]) for e in body["entries"]}

    first = world.admin.get(tl(acme)).json()
    theirs = world.admin.get(tl(other)).json()
    again = world.admin.get(tl(acme)).json()
    assert again == first
    assert not records(first) & records(theirs) - {("customers", acme)}
    assert {e["title"] for e in theirs["entries"] if e["table"] == "repairs"} == {"RO-X · open"}
    assert "RO-X · open" not in {e["title"] for e in first["entries"]}
    # Paging past a cursor: the same entries as the one long page, for each customer.
    for cid in (acme, other):
        whole = world.admin.get(tl(cid)).json()["entries"]
        seen, before = [], None
        while True:
            page = world.admin.get(
                tl(cid), params={"limit": 2, **({"before": before} if before else {})}
            ).json()
            seen += page["entries"]
            before = page["next"]
            if not before:
                break
        assert seen == whole
    # A reader seeing only the repairs it created (none): no repairs, parts or their
    # comments, whatever the administrator's pages built before; then the administrator's
    # page is whole again.
    m = member(world, "own", [grant(t, "own") if t == "repairs" else grant(t) for t in ALL])
    mine = m.get(tl(acme)).json()
    assert not {e["kind"] for e in mine["entries"]} & {"source:0", "source:1"}
    assert not [e for e in mine["entries"] if e["table"] == "repairs"]
    assert world.admin.get(tl(acme)).json() == first


def test_a_window_s_shape_is_what_its_conditions_take() -> None:
    """A cached statement is keyed by its window's shape (``page_params``): it names the
    conditions ``page_of`` builds for every cursor, bound and column kind, and carries every
    value they hold."""
    from cairn.store.timeline import Cursor, Window, page_params, window_where

    at_col, id_col = sa.column("at", sa.DateTime), sa.column("id", sa.Integer)
    noon, midnight = datetime(2026, 3, 4, 12, 30), datetime(2026, 3, 4)
    for is_date in (False, True):
        for cur_at in (None, noon, midnight):
            for cur_kind in ("a", "m", "z"):
                for start in (None, noon, midnight):
                    for end in (None, noon, midnight):
                        c = None if cur_at is None else Cursor(cur_at, cur_kind, 7)
                        w = Window("m", 4, c, start, end)
                        _, shape, values = window_where(at_col, id_col, w, is_date=is_date)
                        assert page_params(w, is_date=is_date) == (
                            shape,
                            {**values, "tl_lim": 5},
                        )
