"""Data linkage through HTTP, on both databases: a relation that fills fields from the record
chosen (options checked when saved; the values copied in the write's own transaction, unless
the write gives them, as the writer may read them) and cascading choices (options checked
when saved; a child option its parent's value does not allow refused at the child, naming the
parent); and app packages keeping both."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.services import Services
from factories import make_user

T = "/api/v1/apps/crm/tables"
C = f"{T}/customers/records"
O = f"{T}/orders/records"  # noqa: E741
FILL = [{"from": "phone", "to": "contact_phone"}, {"from": "tier", "to": "tier_text"}]
MAKES = [{"value": "Cessna"}, {"value": "Cirrus"}, {"value": "Robinson"}]
MODELS = [{"value": "Cessna 172"}, {"value": "Cessna 208"}, {"value": "Cirrus SR22"}]
CASCADE = {"Cessna": ["Cessna 172", "Cessna 208"], "Cirrus": ["Cirrus SR22"]}


def ok(r: Any, status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, r.text
    return r.json()


def errors(r: Any) -> dict[str, str]:
    assert r.status_code == 422, r.text
    return {e["field"]: e["message"] for e in r.json()["errors"]}


def field(c: TestClient, key: str, type_: str, **more: Any) -> dict[str, Any]:
    return ok(c.post(f"{T}/orders/fields", json={"key": key, "type": type_, **more}), 201)


@pytest.fixture
def linked(crm: TestClient) -> TestClient:
    """Orders with a contact phone and a tier text filled from the customer chosen, and an
    aircraft make and model (the model's options depend on the make)."""
    field(crm, "contact_phone", "phone", name="联系电话")
    field(crm, "tier_text", "text", name="客户等级")
    ok(crm.patch(f"{T}/orders/fields/customer", json={"options": {"fill": FILL}}))
    field(crm, "make", "single_select", name="厂商", options={"choices": MAKES})
    options = {"choices": MODELS, "parent": "make", "cascade": CASCADE}
    field(crm, "model", "single_select", name="机型", options=options)
    return crm


def customer(c: TestClient, name: str, **values: Any) -> int:
    return ok(c.post(C, json={"name": name, **values}), 201)["id"]


# -- options -------------------------------------------------------------------------------


def test_fill_and_cascade_are_shown_as_written(linked: TestClient) -> None:
    fields = {f["key"]: f for f in ok(linked.get(f"{T}/orders/fields"))["items"]}
    assert fields["customer"]["options"]["fill"] == FILL
    assert fields["model"]["options"]["parent"] == "make"
    assert fields["model"]["options"]["cascade"] == CASCADE
    assert "parent" not in fields["make"]["options"]  # none: as before
    # Renaming a filled field or an option: the fill and the cascade follow.
    ok(linked.patch(f"{T}/orders/fields/tier_text", json={"key": "tier_name"}))
    choices = ok(linked.get(f"{T}/orders/fields"))["items"]
    make = next(f for f in choices if f["key"] == "make")
    renamed = [
        {**c, "value": "Textron Cessna"} if c["value"] == "Cessna" else c
        for c in make["options"]["choices"]
    ]
    ok(linked.patch(f"{T}/orders/fields/make", json={"options": {"choices": renamed}}))
    fields = {f["key"]: f for f in ok(linked.get(f"{T}/orders/fields"))["items"]}
    assert fields["customer"]["options"]["fill"][1] == {"from": "tier", "to": "tier_name"}
    assert fields["model"]["options"]["cascade"]["Textron Cessna"] == ["Cessna 172", "Cessna 208"]


def test_fields_a_fill_or_a_cascade_uses_cannot_be_deleted(linked: TestClient) -> None:
    r = linked.delete(f"{T}/orders/fields/contact_phone")
    assert "orders.customer" in errors(r)["contact_phone"]
    r = linked.delete(f"{T}/customers/fields/phone")
    assert "orders.customer" in errors(r)["phone"]
    r = linked.delete(f"{T}/orders/fields/make")
    assert "orders.model" in errors(r)["make"]
    # Once the fill no longer names it, it goes.
    ok(linked.patch(f"{T}/orders/fields/customer", json={"options": {"fill": FILL[1:]}}))
    assert linked.delete(f"{T}/orders/fields/contact_phone").status_code == 204


def test_bad_fills_get_422_naming_the_pair(linked: TestClient) -> None:
    url = f"{T}/orders/fields/customer"
    bad = [
        {"from": "nope", "to": "contact_phone"},
        {"from": "phone", "to": "customer"},
        {"from": "signed_on", "to": "amount"},
        {"from": "name", "to": "tier_text"},
        {"from": "email", "to": "tier_text"},
        {"from": "customer_no", "to": "contact_phone"},
    ]
    got = errors(linked.patch(url, json={"options": {"fill": bad}}))
    assert got == {
        "options.fill.0.from": "There is no field 'nope' in table '客户'.",
        "options.fill.1.to": "A relation cannot fill itself.",
        "options.fill.2.to": "'签约日期' (date) cannot fill '金额' (currency): the types do not fit.",
        "options.fill.4.to": "'客户等级' is filled more than once.",
        "options.fill.5.to": "'联系电话' is filled more than once.",
    }
    r = linked.patch(
        url,
        json={"options": {"fill": [{"from": "orders", "to": "title"}]}},
        headers={"accept-language": "zh-CN"},
    )
    assert errors(r) == {
        "options.fill.0.from": "“订单”不能被复制：关联、附件和计算字段都不能；可添加查找字段来显示它。"
    }
    # A relation holding several records fills nothing (a lookup shows their values).
    r = linked.post(
        f"{T}/customers/fields",
        json={
            "key": "orders_many",
            "type": "relation",
            "options": {
                "target_table": "orders",
                "multiple": True,
                "fill": [{"from": "title", "to": "name"}],
            },
        },
    )
    assert "for several records add a lookup field" in errors(r)["options.fill"]
    # Nothing was saved.
    fields = {f["key"]: f for f in ok(linked.get(f"{T}/orders/fields"))["items"]}
    assert fields["customer"]["options"]["fill"] == FILL


def test_bad_cascades_get_422_naming_the_option(linked: TestClient) -> None:
    url = f"{T}/orders/fields/model"
    r = linked.patch(url, json={"options": {"choices": MODELS, "parent": "model"}})
    assert errors(r) == {
        "options.parent": "The options can depend on another single-select field of this table only."
    }
    r = linked.patch(url, json={"options": {"choices": MODELS, "parent": "title"}})
    assert list(errors(r)) == ["options.parent"]
    r = linked.patch(
        url,
        json={"options": {"choices": MODELS, "parent": "make", "cascade": {"Piper": ["PA-44"]}}},
        headers={"accept-language": "zh-CN"},
    )
    assert errors(r) == {"options.cascade.Piper": "“Piper”不是“厂商”的选项。"}
    r = linked.patch(
        url,
        json={"options": {"choices": MODELS, "parent": "make", "cascade": {"Cessna": ["PA-44"]}}},
    )
    assert errors(r) == {"options.cascade.Cessna": "'PA-44' is not an option of 'model'."}
    # The make cannot depend on the model in turn.
    r = linked.patch(
        f"{T}/orders/fields/make", json={"options": {"choices": MAKES, "parent": "model"}}
    )
    assert errors(r) == {
        "options.parent": "The options would depend on themselves: make → model → make."
    }


# -- fill on writes ------------------------------------------------------------------------


def test_choosing_a_customer_fills_the_order(linked: TestClient) -> None:
    a = customer(linked, "A", phone="13800000001", tier="VIP")
    b = customer(linked, "B", phone="13900000002")
    order = ok(linked.post(O, json={"title": "o1", "customer": a}), 201)
    assert (order["contact_phone"], order["tier_text"]) == ("+8613800000001", "VIP")
    # What the write gives wins, a blank too.
    given = ok(
        linked.post(
            O,
            json={"title": "o2", "customer": a, "contact_phone": "13700000003", "tier_text": None},
        ),
        201,
    )
    assert (given["contact_phone"], given["tier_text"]) == ("+8613700000003", None)
    # Changing the customer fills again, in the same version as the change.
    changed = ok(linked.patch(f"{O}/{order['id']}", json={"version": 1, "customer": b}))
    assert (changed["version"], changed["contact_phone"], changed["tier_text"]) == (
        2,
        "+8613900000002",
        None,
    )
    hist = ok(linked.get(f"{O}/{order['id']}/history"))["items"]
    assert {c["field"] for c in hist[0]["changes"]} == {"customer", "contact_phone", "tier_text"}
    # Edited by hand, then the same customer sent again: nothing is filled over the edit.
    edited = ok(
        linked.patch(f"{O}/{order['id']}", json={"version": 2, "contact_phone": "13600000004"})
    )
    same = ok(linked.patch(f"{O}/{order['id']}", json={"version": 3, "customer": b, "title": "x"}))
    assert same["contact_phone"] == edited["contact_phone"] == "+8613600000004"
    # Clearing the customer fills nothing.
    cleared = ok(linked.patch(f"{O}/{order['id']}", json={"version": 4, "customer": None}))
    assert cleared["contact_phone"] == "+8613600000004"
    # Later changes of the customer are not followed (a lookup field does that).
    ok(linked.patch(f"{C}/{b}", json={"version": 1, "phone": "13500000005"}))
    assert ok(linked.get(f"{O}/{given['id']}"))["contact_phone"] == "+8613700000003"


def test_a_bulk_write_fills_each_record_from_its_own_customer(linked: TestClient) -> None:
    a = customer(linked, "A", phone="13800000001", tier="Gold")
    b = customer(linked, "B", phone="13900000002", tier="VIP")
    r = linked.post(
        f"{O}/bulk",
        json={
            "records": [
                {"title": "1", "customer": a},
                {"title": "2", "customer": {"id": b}},
                {"title": "3"},
                {"title": "4", "customer": b, "tier_text": "mine"},
            ]
        },
    )
    items = ok(r, 201)["items"]
    assert [(i["contact_phone"], i["tier_text"]) for i in items] == [
        ("+8613800000001", "Gold"),
        ("+8613900000002", "VIP"),
        (None, None),
        ("+8613900000002", "mine"),
    ]


def test_a_filled_value_is_checked_like_a_typed_one(linked: TestClient, services: Services) -> None:
    ok(linked.patch(f"{T}/orders/fields/contact_phone", json={"required": True}))
    a = customer(linked, "A", phone="13800000001")
    nophone = customer(linked, "B")
    assert ok(linked.post(O, json={"title": "o", "customer": a}), 201)["contact_phone"]
    assert errors(linked.post(O, json={"title": "o", "customer": nophone})) == {
        "contact_phone": "This field is required."
    }
    # A missing customer fills nothing and is answered as missing.
    r = linked.post(O, json={"title": "o", "customer": 987654, "contact_phone": "13800000001"})
    assert list(errors(r)) == ["customer"]


def test_the_writer_fills_only_what_they_may_read_and_write(
    linked: TestClient, services: Services
) -> None:
    a = customer(linked, "A", phone="13800000001", tier="VIP")
    app = create_app(services)
    clients = {}
    for name, fields in (
        ("hidden", {"phone": "hidden"}),
        ("masked", {"phone": "masked"}),
        ("plain", {}),
    ):
        _uid, token = make_user(services, name)
        tables = [
            {
                "app": "crm",
                "table": "customers",
                "actions": ["read"],
                "row_scope": "all",
                "fields": fields,
            },
            {
                "app": "crm",
                "table": "orders",
                "actions": ["create", "read", "update"],
                "row_scope": "all",
                "fields": {"tier_text": "read_only"} if name == "plain" else {},
            },
        ]
        body = {"key": f"r_{name}", "name": name, "tables": tables, "members": [name]}
        ok(linked.post("/api/v1/roles", json=body), 201)
        clients[name] = TestClient(app, headers={"authorization": f"Bearer {token}"})
    got = {}
    for name, c in clients.items():
        rec = ok(c.post(O, json={"title": name, "customer": a}), 201)
        full = ok(linked.get(f"{O}/{rec['id']}"))
        got[name] = (full["contact_phone"], full["tier_text"])
        c.close()
    assert got == {
        "hidden": (None, "VIP"),  # may not read the phone: not copied
        "masked": (None, "VIP"),  # reads it masked: not copied (138****0001 is no number)
        "plain": ("+8613800000001", None),  # may not write the tier text: not filled
    }
    # A customer outside the writer's read scope is answered as missing, nothing copied.
    _uid, token = make_user(services, "own")
    tables = [
        {"app": "crm", "table": "customers", "actions": ["read"], "row_scope": "own"},
        {"app": "crm", "table": "orders", "actions": ["create", "read"], "row_scope": "all"},
    ]
    ok(
        linked.post(
            "/api/v1/roles",
            json={"key": "r_own", "name": "own", "tables": tables, "members": ["own"]},
        ),
        201,
    )
    with TestClient(app, headers={"authorization": f"Bearer {token}"}) as c:
        assert list(errors(c.post(O, json={"title": "x", "customer": a}))) == ["customer"]


# -- cascading choices on writes -----------------------------------------------------------


def test_a_model_must_fit_the_make(linked: TestClient) -> None:
    ok(linked.post(O, json={"title": "ok", "make": "Cessna", "model": "Cessna 208"}), 201)
    r = linked.post(O, json={"title": "x", "make": "Cirrus", "model": "Cessna 172"})
    assert errors(r) == {"model": "'Cessna 172' cannot be chosen when 厂商 is 'Cirrus'."}
    r = linked.post(
        O,
        json={"title": "x", "make": "Robinson", "model": "Cessna 172"},
        headers={"accept-language": "zh-CN"},
    )
    assert errors(r) == {"model": "“厂商”为“Robinson”时，不能选择“Cessna 172”。"}
    r = linked.post(O, json={"title": "x", "model": "Cirrus SR22"})
    assert errors(r) == {"model": "Choose 厂商 first: the options of this field depend on it."}
    ok(linked.post(O, json={"title": "no make, no model"}), 201)
    ok(linked.post(O, json={"title": "a make alone", "make": "Robinson"}), 201)


def test_changing_the_make_needs_a_model_that_fits(linked: TestClient) -> None:
    rec = ok(linked.post(O, json={"title": "o", "make": "Cessna", "model": "Cessna 172"}), 201)
    url = f"{O}/{rec['id']}"
    r = linked.patch(url, json={"version": 1, "make": "Cirrus"})
    assert errors(r) == {"model": "'Cessna 172' cannot be chosen when 厂商 is 'Cirrus'."}
    r = linked.patch(url, json={"version": 1, "model": "Cirrus SR22"})
    assert list(errors(r)) == ["model"]
    moved = ok(linked.patch(url, json={"version": 1, "make": "Cirrus", "model": "Cirrus SR22"}))
    assert (moved["make"], moved["model"]) == ("Cirrus", "Cirrus SR22")
    cleared = ok(linked.patch(url, json={"version": 2, "make": None, "model": None}))
    assert (cleared["make"], cleared["model"]) == (None, None)
    # A write touching neither is not checked (records saved before the cascade existed).
    assert ok(linked.patch(url, json={"version": 3, "title": "t"}))["title"] == "t"


def test_a_bulk_write_reports_each_record(linked: TestClient) -> None:
    r = linked.post(
        f"{O}/bulk",
        json={
            "records": [
                {"title": "1", "make": "Cessna", "model": "Cessna 172"},
                {"title": "2", "make": "Cessna", "model": "Cirrus SR22"},
            ]
        },
    )
    assert list(errors(r)) == ["records.1.model"]
    assert ok(linked.get(O))["items"] == []  # all or nothing


def test_several_choices_each_fit_the_parent(linked: TestClient) -> None:
    options = {"choices": MODELS, "parent": "make", "cascade": CASCADE}
    field(linked, "also", "multi_select", options=options)
    ok(
        linked.post(O, json={"title": "o", "make": "Cessna", "also": ["Cessna 172", "Cessna 208"]}),
        201,
    )
    r = linked.post(O, json={"title": "o", "make": "Cessna", "also": ["Cessna 172", "Cirrus SR22"]})
    assert errors(r) == {"also": "'Cirrus SR22' cannot be chosen when 厂商 is 'Cessna'."}


# -- app packages --------------------------------------------------------------------------


def test_an_app_package_keeps_fill_and_cascade(linked: TestClient) -> None:
    # A one-to-one relation whose reverse side fills too (the reverse is made with its owner).
    reverse = {"key": "last_order", "name": "最近订单", "multiple": False}
    options = {"target_table": "orders", "multiple": False, "reverse": reverse}
    ok(
        linked.post(
            f"{T}/customers/fields",
            json={"key": "first_order", "type": "relation", "options": options},
        ),
        201,
    )
    fill = [{"from": "name", "to": "title"}]
    ok(linked.patch(f"{T}/orders/fields/last_order", json={"options": {"fill": fill}}))
    text = linked.get("/api/v1/apps/crm/export").text
    first = yaml.safe_load(text)
    orders = next(t for t in first["tables"] if t["key"] == "orders")
    fields = {f["key"]: f for f in orders["fields"]}
    assert fields["customer"]["options"]["fill"] == FILL
    assert fields["model"]["options"]["parent"] == "make"
    # The model listed before the make it depends on still imports.
    orders["fields"].sort(key=lambda f: f["key"] != "model")
    r = linked.post(
        "/api/v1/apps/import?key=copy",
        content=yaml.safe_dump(first, allow_unicode=True).encode(),
        headers={"content-type": "application/yaml"},
    )
    assert r.status_code == 201, r.text
    second = yaml.safe_load(linked.get("/api/v1/apps/copy/export").text)
    for pkg in (first, second):
        pkg["app"].pop("key")
        for t in pkg["tables"]:
            t["fields"].sort(key=lambda f: f["key"])
    assert second == first
    copied = {f["key"]: f for t in second["tables"] for f in t["fields"]}
    assert copied["last_order"]["options"]["fill"] == fill
    url = "/api/v1/apps/copy/tables"
    a = ok(
        linked.post(f"{url}/customers/records", json={"name": "A", "phone": "13800000001"}), 201
    )["id"]
    rec = ok(linked.post(f"{url}/orders/records", json={"title": "o", "customer": a}), 201)
    assert rec["contact_phone"] == "+8613800000001"
    r = linked.post(f"{url}/orders/records", json={"make": "Cirrus", "model": "Cessna 172"})
    assert list(errors(r)) == ["model"]
