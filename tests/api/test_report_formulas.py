"""Reports over fields computed when read, through HTTP: sum, average, min and max of a formula
with a number result (one over a sub-form's rows too) and of a number looked up through a
single relation equal what the records show; a formula of another type is refused at the
measure's field; a formula reading a field masked from the caller is unknown to them, as in
the grid; and a dashboard widget summing a formula over a sub-form is recomputed when a line
changes."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.services import Services
from factories import make_user

T = "/api/v1/apps/crm/tables"
ORD = f"{T}/orders/records"
QUERY = "/api/v1/apps/crm/reports/datasets/query"
D = "/api/v1/apps/crm/dashboards"

ORDERS: list[tuple[str, int | None, list[tuple[int, float]]]] = [
    ("a", None, [(2, 10.5), (1, 4)]),
    ("b", 5, [(3, 7)]),
    ("c", 0, []),
    ("d", 2, [(1, 100), (2, 0.25), (4, 3)]),
]


def post(c: TestClient, url: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    r = c.post(url, json=body)
    assert r.status_code == status, r.text
    return r.json()


@pytest.fixture
def orders(crm: TestClient) -> list[dict[str, Any]]:
    """Orders with lines (quantity × price), a discount and formulas over them; a customer's
    credit (a currency) looked up. Returns the orders as the records API reads them."""
    c = crm
    post(c, f"{T}/orders/fields", {"key": "lines", "name": "明细", "type": "subform"})
    for body in (
        {"key": "qty", "name": "数量", "type": "number"},
        {"key": "price", "name": "单价", "type": "number", "options": {"decimals": 2}},
        {"key": "line_amount", "type": "formula", "options": {"formula": "{qty} * {price}"}},
    ):
        post(c, f"{T}/orders_lines/fields", body)
    for body in (
        {"key": "discount", "name": "优惠", "type": "currency"},
        {"key": "subtotal", "type": "formula", "options": {"formula": "SUM({明细.line_amount})"}},
        {
            "key": "net",
            "type": "formula",
            "options": {"formula": "{subtotal} - IF(ISBLANK({discount}), 0, {discount})"},
        },
        {"key": "shout", "type": "formula", "options": {"formula": "UPPER({title})"}},
        {
            "key": "credit_seen",
            "type": "lookup",
            "options": {"relation": "customer", "field": "credit"},
        },
    ):
        post(c, f"{T}/orders/fields", body)
    out = []
    for i, (title, discount, lines) in enumerate(ORDERS):
        cust = post(c, f"{T}/customers/records", {"name": f"c{i}", "credit": 1000 * (i + 1)})
        rows = [{"qty": q, "price": p} for q, p in lines]
        body = {"title": title, "discount": discount, "lines": rows, "customer": [cust["id"]]}
        created = post(c, ORD, body)
        r = c.get(f"{ORD}/{created['id']}")
        assert r.status_code == 200, r.text
        out.append(r.json())
    return out


def query(c: TestClient, measures: list[dict[str, Any]], **kw: Any) -> list[Any]:
    r = c.post(QUERY, json={"table": "orders", "measures": measures, **kw})
    assert r.status_code == 200, r.text
    [row] = r.json()["rows"]
    return row["values"]


def test_aggregates_of_a_number_formula_equal_the_records_values(
    crm: TestClient, orders: list[dict[str, Any]]
) -> None:
    totals = [o["net"] for o in orders]
    subtotals = [o["subtotal"] for o in orders]
    assert totals == [25, 16, 0, 110.5]  # what the records show (the lines' sums − discount)
    values = query(
        crm,
        [
            {"agg": "sum", "field": "net", "key": "sum"},
            {"agg": "avg", "field": "net", "key": "avg"},
            {"agg": "min", "field": "net", "key": "min"},
            {"agg": "max", "field": "net", "key": "max"},
            {"agg": "sum", "field": "subtotal", "key": "sub"},
            {"agg": "formula", "formula": "SUM({net}) / COUNT()", "key": "per_order"},
        ],
    )
    mean = sum(totals) / len(totals)
    expected = [sum(totals), mean, min(totals), max(totals), sum(subtotals), mean]
    assert values == pytest.approx(expected)

    # With a filter and grouped: the orders with a discount, by whether it is over 1.
    discounted = [o for o in orders if o["discount"]]
    [total] = query(
        crm,
        [{"agg": "sum", "field": "net"}],
        filter={"field": "discount", "op": "gt", "value": 0},
    )
    assert total == pytest.approx(sum(o["net"] for o in discounted))


def test_a_number_looked_up_through_a_single_relation_is_summed(
    crm: TestClient, orders: list[dict[str, Any]]
) -> None:
    credits = [o["credit_seen"] for o in orders]
    assert credits == [1000, 2000, 3000, 4000]
    assert query(crm, [{"agg": "sum", "field": "credit_seen"}]) == [sum(credits)]


def test_a_formula_of_another_type_is_refused_at_the_measures_field(
    crm: TestClient, orders: list[dict[str, Any]]
) -> None:
    r = crm.post(QUERY, json={"table": "orders", "measures": [{"agg": "sum", "field": "shout"}]})
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert (error["field"], error["code"]) == ("measures.0.field", "report.measure_type")
    assert "'shout' is a text field" in error["message"]
    # Counting a text formula's values is fine: "c" and the others all have one.
    assert query(crm, [{"agg": "count", "field": "shout"}]) == [len(orders)]


def test_a_formula_over_a_masked_field_is_unknown_to_the_caller(
    services: Services, crm: TestClient, orders: list[dict[str, Any]]
) -> None:
    _, token = make_user(services, "mia")
    role = {
        "key": "sales",
        "name": "sales",
        "members": ["mia"],
        "tables": [
            {
                "app": "crm",
                "table": "orders",
                "actions": ["read"],
                "fields": {"discount": "masked"},
            },
            {"app": "crm", "table": "customers", "actions": ["read"]},
        ],
    }
    post(crm, "/api/v1/roles", role)
    with TestClient(create_app(services), headers={"authorization": f"Bearer {token}"}) as mia:
        # The grid does not show her the total (it would show the discount) …
        seen = mia.get(f"{ORD}/{orders[1]['id']}").json()
        assert "net" not in seen and seen["subtotal"] == 21
        # … and reports do not sum it; the subtotal, which reads no masked field, they do.
        body = {"table": "orders", "measures": [{"agg": "sum", "field": "net"}]}
        r = mia.post(QUERY, json=body)
        assert r.status_code == 422, r.text
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
            ("measures.0.field", "field.unknown")
        ]
        body = {"table": "orders", "measures": [{"agg": "sum", "field": "subtotal"}]}
        r = mia.post(QUERY, json=body)
        assert r.status_code == 200, r.text
        assert r.json()["rows"][0]["values"] == [pytest.approx(sum(o["subtotal"] for o in orders))]


def test_a_line_change_recomputes_a_widget_summing_a_formula_over_the_lines(
    crm: TestClient, orders: list[dict[str, Any]]
) -> None:
    widget = {
        "id": "sum",
        "type": "number",
        "dataset": {"table": "orders", "measures": [{"agg": "sum", "field": "net"}]},
    }
    board = post(crm, D, {"key": "f", "name": "F", "widgets": [widget]})
    url = f"{D}/{board['id']}/data"
    first = crm.get(url).json()
    assert first["widgets"]["sum"]["data"]["value"] == pytest.approx(151.5)
    again = crm.get(url).json()
    assert again["cache"]["hits"] == 1
    assert again["widgets"]["sum"]["data"] == first["widgets"]["sum"]["data"]

    # Order b's one line: 3 × 7 → 3 × 17 (its total 16 → 46).
    b = orders[1]
    [line] = b["lines"]
    body = {"version": b["version"], "lines": [{"id": line["id"], "qty": 3, "price": 17}]}
    r = crm.patch(f"{ORD}/{b['id']}", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["net"] == 46
    after = crm.get(url).json()
    assert after["cache"]["hits"] == 0
    assert after["widgets"]["sum"]["data"]["value"] == pytest.approx(181.5)
