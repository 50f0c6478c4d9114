"""A sub-form's footer totals (``options.totals``: which columns are summed under the rows)
and a formula field's display format (``options.format``, ``decimals``, ``currency``),
through HTTP: what is accepted is stored and read back, what is not is refused with the
message on the option."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

T = "/api/v1/apps/crm/tables"
LINES = f"{T}/orders_lines/fields"


@pytest.fixture
def lines(crm: TestClient) -> TestClient:
    r = crm.post(f"{T}/orders/fields", json={"key": "lines", "name": "明细", "type": "subform"})
    assert r.status_code == 201, r.text
    for body in (
        {"key": "item", "name": "品名", "type": "text"},
        {"key": "qty", "name": "数量", "type": "number"},
        {"key": "price", "name": "单价", "type": "currency", "options": {"decimals": 2}},
        {
            "key": "amount",
            "name": "金额",
            "type": "formula",
            "options": {"formula": "{qty} * {price}", "format": "currency", "decimals": 2},
        },
        {"key": "label", "name": "说明", "type": "formula", "options": {"formula": "{item}"}},
    ):
        assert crm.post(LINES, json=body).status_code == 201, body
    return crm


def _errors(r: Any) -> dict[str, str]:
    assert r.status_code == 422, r.text
    return {e["field"]: e["message"] for e in r.json()["errors"]}


def test_totals_name_columns_that_add_up(lines: TestClient) -> None:
    ok = lines.patch(f"{T}/orders/fields/lines", json={"options": {"totals": ["amount", "qty"]}})
    assert ok.status_code == 200, ok.text
    assert ok.json()["options"]["totals"] == ["amount", "qty"]
    assert ok.json()["options"]["max_rows"] == 500
    got = lines.get(f"{T}/orders").json()
    assert next(f for f in got["fields"] if f["key"] == "lines")["options"]["totals"] == [
        "amount",
        "qty",
    ]
    for bad in (["item"], ["label"], ["nope"]):
        r = lines.patch(f"{T}/orders/fields/lines", json={"options": {"totals": bad}})
        errors = _errors(r)
        assert list(errors) == ["options.totals"]
        assert bad[0] in errors["options.totals"]
        assert "number" in errors["options.totals"]
    r = lines.patch(f"{T}/orders/fields/lines", json={"options": {"totals": "amount"}})
    assert list(_errors(r)) == ["options.totals"]
    # An empty list: no totals at all (not the default).
    none = lines.patch(f"{T}/orders/fields/lines", json={"options": {"totals": []}})
    assert none.json()["options"]["totals"] == []


def test_a_new_subform_has_no_columns_to_total(crm: TestClient) -> None:
    r = crm.post(
        f"{T}/orders/fields",
        json={"key": "lines", "name": "明细", "type": "subform", "options": {"totals": ["x"]}},
    )
    assert list(_errors(r)) == ["options.totals"]


def test_a_number_formula_has_a_display_format(lines: TestClient) -> None:
    amount = lines.get(f"{T}/orders_lines").json()
    opts = next(f for f in amount["fields"] if f["key"] == "amount")["options"]
    assert (opts["format"], opts["decimals"], opts["result_type"]) == ("currency", 2, "number")
    # Nothing asked, nothing stored: other formulas stay as they were.
    label = next(f for f in amount["fields"] if f["key"] == "label")["options"]
    assert "format" not in label and "decimals" not in label
    pct = lines.patch(
        f"{LINES}/amount",
        json={"options": {"formula": "{qty} * {price}", "format": "percent", "decimals": 1}},
    )
    assert pct.status_code == 200, pct.text
    assert (pct.json()["options"]["format"], pct.json()["options"]["decimals"]) == ("percent", 1)
    bad = lines.patch(
        f"{LINES}/amount", json={"options": {"formula": "{qty} * {price}", "format": "money"}}
    )
    assert list(_errors(bad)) == ["options.format"]
    bad = lines.patch(
        f"{LINES}/amount", json={"options": {"formula": "{qty} * {price}", "decimals": 12}}
    )
    assert list(_errors(bad)) == ["options.decimals"]
    text = lines.patch(
        f"{LINES}/label", json={"options": {"formula": "{item}", "format": "currency"}}
    )
    errors = _errors(text)
    assert list(errors) == ["options.format"]
    assert "number" in errors["options.format"]


def test_the_rows_table_says_which_formula_columns_the_browser_computes(
    lines: TestClient,
) -> None:
    body = {"key": "due", "name": "到期", "type": "formula", "options": {"formula": "TODAY()"}}
    assert lines.post(LINES, json=body).status_code == 201
    live = lines.get(f"{T}/orders_lines").json()["live_formulas"]
    # TODAY() is the form's (the server's today): that column waits for the save.
    assert sorted(live) == ["amount", "label"]
    assert live["amount"]["kinds"] == {"qty": "number", "price": "number"}
    assert live["amount"]["tree"]["fn"] == "*"
    assert [a["ref"] for a in live["amount"]["tree"]["args"]] == ["qty", "price"]
    assert "live_formulas" not in lines.get(f"{T}/orders").json()
