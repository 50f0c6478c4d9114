"""The general-aviation template: the package imports, the demo data is right and repeatable,
and the app round-trips through export and import."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
import sqlalchemy as sa
import yaml

from cairn.auth import Principal, cli
from cairn.core import FrozenClock, Invalid, NotFound
from cairn.core.idkeys import credit_code
from cairn.services import Services
from cairn.services.score_learning import ScoreLearning
from cairn.templates import available, load_template, package_text
from factories import make_services

APP = "general_aviation"
COUNTS = {"customers": 20, "aircraft": 10, "service_tickets": 40, "quotes": 10}


@pytest.fixture
def loaded(services: Services) -> Services:
    result = load_template(services, APP, customers=20)
    counts = dict(result["counts"])
    assert counts.pop("interactions") >= 20  # every customer has been in touch at least once
    assert result["app"] == APP and counts == COUNTS
    assert set(result["insight"]) == {"score_model", "segment", "rules"}
    return services


def table_ids(s: Services) -> dict[str, int]:
    return {t["key"]: t["id"] for t in s.apps.get(APP)["tables"]}


def rows(s: Services, table: str) -> list[dict[str, Any]]:
    """Every live row of a user table, columns named by field key (read with plain SQL)."""
    tables = {t["key"]: t for t in s.apps.get(APP)["tables"]}
    t = tables[table]
    cols = {f"f_{f['id']}": f["key"] for f in t["fields"]}
    with s.engine.connect() as c:
        tbl = sa.Table(f"t_{t['id']}", sa.MetaData(), autoload_with=c)
        out = []
        for r in c.execute(sa.select(tbl).where(tbl.c.deleted_at.is_(None)).order_by(tbl.c.id)):
            m = r._mapping
            out.append({"id": m["id"], **{cols[k]: v for k, v in m.items() if k in cols}})
        return out


def links(s: Services, table: str, field: str) -> dict[int, list[int]]:
    """Source id → target ids of an owning relation field, from its junction table."""
    t = next(t for t in s.apps.get(APP)["tables"] if t["key"] == table)
    f = next(f for f in t["fields"] if f["key"] == field)
    with s.engine.connect() as c:
        j = sa.Table(f"j_{f['id']}", sa.MetaData(), autoload_with=c)
        out: dict[int, list[int]] = {}
        for src, dst in c.execute(sa.select(j.c.src_id, j.c.dst_id)):
            out.setdefault(src, []).append(dst)
        return out


def test_the_template_is_listed() -> None:
    assert "general_aviation" in available()
    assert yaml.safe_load(package_text(APP))["format"] == "cairn.app/1"


def test_an_unknown_template_is_not_found(services: Services) -> None:
    with pytest.raises(NotFound):
        load_template(services, "nope")
    with pytest.raises(NotFound):
        package_text("../general_aviation")


def test_tables_and_fields(loaded: Services) -> None:
    app = loaded.apps.get(APP)
    assert app["name"] == "通航客户管理"
    tables = {t["key"]: t for t in app["tables"]}
    assert list(tables) == ["customers", "aircraft", "service_tickets", "quotes"]
    assert [tables[k]["name"] for k in tables] == ["客户", "飞机", "服务工单", "报价单"]
    types = {k: {f["key"]: f["type"] for f in t["fields"]} for k, t in tables.items()}
    assert types["customers"] == {
        "name": "text",
        "customer_no": "auto_number",
        "tier": "single_select",
        "phone": "phone",
        "email": "email",
        "credit_code": "credit_code",
        "city": "text",
        "industry": "single_select",
        "flight_hours": "number",
        "credit_limit": "currency",
        "signed_on": "date",
        "last_contact": "datetime",
        "active": "boolean",
        "churned": "boolean",
        "tags": "multi_select",
        "rating": "rating",
        "website": "url",
        "location": "location",
        "notes": "long_text",
        "aircraft": "relation",
        "tickets": "relation",
        "quotes": "relation",
        "ticket_count": "rollup",
        "total_cost": "rollup",
    }
    assert types["aircraft"]["owner"] == "relation"
    assert types["aircraft"]["photos"] == "attachment"
    assert types["service_tickets"]["customer_tier"] == "lookup"
    fields = {k: {f["key"]: f for f in t["fields"]} for k, t in tables.items()}
    assert fields["customers"]["phone"]["unique"] is True
    # identity keys (issue 21): what One-ID and an import's upsert match on
    keys = {k: f["options"].get("identity_key") for k, f in fields["customers"].items()}
    assert {k: v for k, v in keys.items() if v} == {
        "phone": "mobile",
        "email": "email",
        "credit_code": "credit_code",
    }
    assert fields["aircraft"]["registration"]["unique"] is True
    owner = fields["aircraft"]["owner"]["options"]
    assert owner["target_table"] == "customers"
    assert owner["multiple"] is False
    assert owner["reverse_field"] == "aircraft"
    reverse = fields["customers"]["aircraft"]["options"]
    assert (reverse["owner"], reverse["multiple"]) == (False, True)
    assert fields["customers"]["total_cost"]["options"]["relation"] == "tickets"
    assert fields["customers"]["total_cost"]["options"]["field"] == "cost"
    assert fields["customers"]["total_cost"]["options"]["function"] == "sum"
    assert fields["service_tickets"]["customer_tier"]["options"]["relation"] == "customer"
    assert fields["service_tickets"]["customer_tier"]["options"]["field"] == "tier"


def test_counts(loaded: Services) -> None:
    ids = table_ids(loaded)
    with loaded.engine.connect() as c:
        for key, n in COUNTS.items():
            assert c.execute(sa.text(f"SELECT count(*) FROM t_{ids[key]}")).scalar_one() == n


def test_customers_look_real(loaded: Services) -> None:
    customers = rows(loaded, "customers")
    phones = [c["phone"] for c in customers]
    assert len(set(phones)) == len(phones)
    for p in phones:
        assert re.fullmatch(r"\+861[358]\d{9}", p), p
        assert phonenumbers.is_valid_number(phonenumbers.parse(p))
    assert len({c["name"] for c in customers}) == len(customers)
    assert all(re.search(r"[\u4e00-\u9fff]", c["name"]) for c in customers)
    assert [c["customer_no"] for c in customers] == [f"C-{i:05d}" for i in range(1, 21)]
    assert {c["tier"] for c in customers} <= {"vip", "gold", "standard"}  # stored option ids
    # companies carry a unified social credit code (valid check character), private owners none
    codes = [c["credit_code"] for c in customers]
    assert any(codes) and len({c for c in codes if c}) == len([c for c in codes if c])
    assert all(c is None or credit_code.normalise(c) == c for c in codes)
    assert all((c["credit_code"] is None) == (c["industry"] == "private") for c in customers)


def test_relations_link_the_records(loaded: Services) -> None:
    customers = {c["id"] for c in rows(loaded, "customers")}
    aircraft = rows(loaded, "aircraft")
    tickets = rows(loaded, "service_tickets")
    owner = links(loaded, "aircraft", "owner")
    assert set(owner) == {a["id"] for a in aircraft}  # every aircraft has exactly one owner
    assert all(len(v) == 1 and v[0] in customers for v in owner.values())
    ticket_customer = links(loaded, "service_tickets", "customer")
    assert set(ticket_customer) == {t["id"] for t in tickets}
    ticket_aircraft = links(loaded, "service_tickets", "aircraft")
    assert ticket_aircraft  # most tickets are about an aircraft ...
    for tid, (aid,) in ticket_aircraft.items():  # ... and then belong to its owner
        assert ticket_customer[tid] == owner[aid]
    regs = [a["registration"] for a in aircraft]
    assert len(set(regs)) == len(regs)
    assert all(re.fullmatch(r"B-[0-9A-Z]{4,5}", r) for r in regs)
    assert [t["ticket_no"] for t in tickets] == [f"TK-{i:06d}" for i in range(1, 41)]


def test_reads_show_the_rollups(loaded: Services) -> None:
    page = loaded.records.query(APP, "customers", limit=100, count=True)
    assert page["total"] == 20
    tickets = loaded.records.query(APP, "service_tickets", limit=100)["items"]
    by_customer: dict[int, list[dict[str, Any]]] = {}
    for t in tickets:
        by_customer.setdefault(t["customer"], []).append(t)
    for c in page["items"]:
        mine = by_customer.get(c["id"], [])
        assert c["ticket_count"] == len(mine)
        assert c["total_cost"] == pytest.approx(sum(t["cost"] or 0 for t in mine))


def test_the_tier_lookup_shows_the_customers_tier(loaded: Services) -> None:
    customers = loaded.records.query(APP, "customers", limit=100)["items"]
    tier = {c["id"]: c["tier"] for c in customers}
    tickets = loaded.records.query(APP, "service_tickets", limit=100)["items"]
    assert {t["customer_tier"] for t in tickets} <= {"VIP", "Gold", "Standard"}
    for t in tickets:
        assert t["customer_tier"] == tier[t["customer"]]


def test_a_tickets_contact_phone_is_filled_from_its_customer(loaded: Services) -> None:
    """The demo tickets are written with a customer and no phone: the relation's fill copies
    the customer's phone; one written later takes its own, and a new customer fills again."""
    phone = {c["id"]: c["phone"] for c in rows(loaded, "customers")}
    tickets = loaded.records.query(APP, "service_tickets", limit=100)["items"]
    assert all(t["contact_phone"] == phone[t["customer"]] for t in tickets)
    first, other = sorted(phone)[:2]
    own = loaded.records.create(
        APP, "service_tickets", {"title": "t", "customer": first, "contact_phone": "13900001111"}
    )
    assert own["contact_phone"] == "+8613900001111"
    moved = loaded.records.update(
        APP, "service_tickets", own["id"], {"version": own["version"], "customer": other}
    )
    assert moved["contact_phone"] == phone[other]


def test_an_aircraft_model_belongs_to_its_manufacturer(loaded: Services) -> None:
    """Cascading choices: the demo aircraft have a model of their maker; another is refused."""
    t = next(t for t in loaded.apps.get(APP)["tables"] if t["key"] == "aircraft")
    model = next(f for f in t["fields"] if f["key"] == "model")
    assert model["options"]["parent"] == "manufacturer"
    cascade = model["options"]["cascade"]
    aircraft = loaded.records.query(APP, "aircraft", limit=100)["items"]
    assert all(a["model"] in cascade[a["manufacturer"]] for a in aircraft)
    with pytest.raises(Invalid) as e:
        loaded.records.update(
            APP,
            "aircraft",
            aircraft[0]["id"],
            {"version": aircraft[0]["version"], "manufacturer": "派珀 Piper"},
        )
    assert list(e.value.field_errors) == ["model"]


def test_the_same_seed_gives_the_same_data(
    loaded: Services, tmp_path: Path, frozen_clock: FrozenClock
) -> None:
    other = make_services(f"sqlite:///{tmp_path / 'other.db'}", tmp_path / "other", frozen_clock)
    try:
        load_template(other, APP, customers=20)
        for table in COUNTS:
            assert rows(other, table) == rows(loaded, table)
    finally:
        other.close()


def test_export_round_trips(loaded: Services) -> None:
    first = loaded.packages.export(APP)
    loaded.packages.import_package(first, key="copy")
    second = loaded.packages.export("copy")
    assert second["app"].pop("key") == "copy"
    first["app"].pop("key")
    assert second == first


def test_export_keeps_what_the_package_says(services: Services) -> None:
    """Everything written in app.yaml comes back out of an export (nothing silently dropped)."""
    services.packages.import_yaml(package_text(APP))
    exported = services.packages.export(APP)
    source = yaml.safe_load(package_text(APP))
    assert exported["app"] == source["app"]
    assert [t["key"] for t in exported["tables"]] == [t["key"] for t in source["tables"]]
    for src, out in zip(source["tables"], exported["tables"], strict=True):
        assert {k: out[k] for k in ("name", "description", "display_field")} == {
            k: src[k] for k in ("name", "description", "display_field")
        }
        assert [f["key"] for f in out["fields"]] == [f["key"] for f in src["fields"]]
        for sf, of in zip(src["fields"], out["fields"], strict=True):
            for k, v in sf.items():
                if k == "options":
                    for ok, ov in v.items():
                        assert of["options"][ok] == ov, (src["key"], sf["key"], ok)
                else:
                    assert of[k] == v, (src["key"], sf["key"], k)
    assert exported["customer_view"] == source["customer_view"]
    rules = {t["key"]: t.get("identity_rules") for t in exported["tables"]}
    wanted = {t["key"]: t.get("identity_rules") for t in source["tables"]}
    for key, written in wanted.items():
        for src_rule, out_rule in zip(written or [], rules[key] or [], strict=True):
            assert {k: out_rule[k] for k in src_rule if k != "parts"} == {
                k: v for k, v in src_rule.items() if k != "parts"
            }
            assert [p["field"] for p in out_rule["parts"]] == [
                p["field"] for p in src_rule["parts"]
            ]


def test_the_template_brings_one_id_match_rules(loaded: Services) -> None:
    """The customers' duplicate rules (same e-mail; a name alike in the same city) come with
    the template, and a customer entered twice is in the review queue."""
    rules = loaded.identity_rules.list(APP, "customers")
    assert [r["name"] for r in rules] == ["邮箱相同", "名称相近且同城"]
    # The package gives no positions: each rule takes its place in the package's order.
    assert [r["position"] for r in rules] == [0, 1]
    first = rows(loaded, "customers")[0]
    again = loaded.records.create(
        APP, "customers", {"name": first["name"] + " ", "city": first["city"], "email": None}
    )
    pairs = loaded.identity.duplicates(APP, "customers")["items"]
    assert any(
        {p["record_a"]["id"], p["record_b"]["id"]} == {first["id"], again["id"]} for p in pairs
    )


def test_the_template_configures_the_customer_360_view(loaded: Services) -> None:
    """The demo opens with its 360° page set up: customers, key metrics, tickets, aircraft and
    quotes."""
    view = loaded.customer_view.get(APP)
    assert view["table"] == "customers"
    assert {"credit_limit", "total_cost", "ticket_count"} <= set(view["metrics"])
    assert view["sections"] == [
        {"relation": "tickets"},
        {"relation": "aircraft"},
        {"relation": "quotes"},
    ]


def test_the_repair_quote_process_runs_on_a_ticket(loaded: Services) -> None:
    """The demo's process: a quote over ¥50,000 goes through the manager and finance, and the
    ticket ends up 处理中 (the service task); the manager's step has a 4-working-hour limit."""
    s = loaded
    admin = s.directory.create_user(cli(), {"username": "demo-admin", "is_admin": True})
    who = Principal(admin["id"], "demo-admin", True, "token")
    [d] = s.processes.list_definitions(APP)["items"]
    assert (d["key"], d["name"], d["table"]) == ("repair_quote", "维修报价审批", "service_tickets")
    owner = links(s, "service_tickets", "customer")
    ticket = next(r for r in rows(s, "service_tickets") if owner.get(r["id"]))
    inst = s.processes.start(APP, "repair_quote", {"record_id": ticket["id"]}, who)
    [quote] = inst["current"]
    assert quote["step"] == "quote"
    # The step's form shows the linked customer by its name (and nothing else of that record).
    customer = next(r for r in rows(s, "customers") if r["id"] == owner[ticket["id"]][0])
    shown = s.processes.task(quote["task_id"], who)["record"]["customer"]
    assert shown == {"id": customer["id"], "name": customer["name"]}
    inst = s.processes.act(quote["task_id"], "complete", {"data": {"cost": 68000}}, who)["instance"]
    [review] = inst["current"]
    assert review["step"] == "review"
    task = s.processes.task(review["task_id"], who)
    assert task["due_at"] is not None
    assert set(task["actions"]) >= {"approve", "reject", "return", "transfer"}
    inst = s.processes.act(review["task_id"], "approve", {}, who)["instance"]
    [finance] = inst["current"]
    assert finance["step"] == "finance"
    inst = s.processes.act(finance["task_id"], "approve", {}, who)["instance"]
    assert inst["status"] == "completed"
    status = next(r for r in rows(s, "service_tickets") if r["id"] == ticket["id"])["status"]
    assert status == "in_progress"


def test_the_demo_knows_its_customers_sleeping_vips_and_their_health(loaded: Services) -> None:
    """Interactions set each customer's last contact; 沉睡VIP holds exactly the VIPs quiet for
    more than 90 days; every customer has a health score with its explanation; two rules act
    on the segment and the score."""
    s = loaded
    customers = rows(s, "customers")
    now = s.clock.now().replace(tzinfo=None)
    quiet = {
        c["id"]
        for c in customers
        if c["tier"] == "vip" and (now.date() - _moment(c["last_contact"]).date()).days > 90
    }
    seg = next(x for x in s.segments.list(APP) if x["name"] == "沉睡VIP")
    members = s.segments.members(APP, seg["id"], limit=100, offset=0)
    assert {m["record"]["id"] for m in members["items"]} == quiet
    for c in customers[:5]:
        listed = s.interactions.list(APP, "customers", c["id"], cli(None, "admin"))["items"]
        newest = max(_moment(i["occurred_at"]) for i in listed)
        assert newest.replace(tzinfo=None) == _moment(c["last_contact"]).replace(tzinfo=None)
        score = s.scores.of_record(APP, "customers", c["id"], cli(None, "admin"))[0]
        assert score["band"] in ("green", "amber", "red") and len(score["contributions"]) == 4
    names = {r["name"] for r in s.rules.list(cli(None, "admin"), APP)}
    assert {"VIP 沉睡提醒", "健康度转红预警"} <= names


def _moment(v: Any) -> Any:
    from datetime import datetime

    if isinstance(v, datetime):
        return v
    return datetime.fromisoformat(str(v).replace("Z", "+00:00"))


def test_the_demos_churned_customers_train_the_learned_model(services: Services) -> None:
    """The demo's 已流失 history ranks well with the health model's own inputs, so a new user
    can train the learned model and read a useful AUC before switching it on."""
    load_template(services, APP, customers=150)
    model = next(m for m in services.scores.list(APP) if m["name"] == "客户健康度")
    report = ScoreLearning(services).train(APP, model["id"], "churned")
    assert report["auc"] >= 0.7 and report["churned"] >= 8
    assert services.scores.get(APP, model["id"])["kind"] == "weighted"  # not switched on
