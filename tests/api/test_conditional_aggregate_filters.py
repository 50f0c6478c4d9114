"""Formula filter rows with conditional aggregates (SUMIF, COUNTIF, MAX of dates) through the
records API and saved grid views, on SQLite and PostgreSQL. The test clock stands at
2026-01-05."""

from __future__ import annotations

from fastapi.testclient import TestClient

T = "/api/v1/apps/crm/tables"
R = f"{T}/customers/records"
ORD = f"{T}/orders/records"
V = f"{T}/customers/views"

SLEEPING_VIP = (
    'AND(SUMIF({订单.金额}, {订单.日期} >= DATEADD(TODAY(), -12, "months")) > 10000, '
    "DAYS(TODAY(), MAX({订单.日期})) > 90)"
)


def _setup(crm: TestClient) -> dict[str, int]:
    r = crm.post(f"{T}/orders/fields", json={"key": "day", "name": "日期", "type": "date"})
    assert r.status_code == 201, r.json()
    ids = {}
    for name in ("Sleepy", "Recent", "Old", "Nobody"):
        ids[name] = crm.post(R, json={"name": name}).json()["id"]
    orders = [
        # Sleepy: ¥12,000 within 12 months, the last order 150 days ago
        ("Sleepy", 8000, "2025-03-01"),
        ("Sleepy", 4000, "2025-08-08"),
        # Recent: big spender, ordered last week
        ("Recent", 20000, "2025-12-29"),
        # Old: big spend, but more than 12 months ago
        ("Old", 50000, "2024-06-01"),
        ("Old", 10, "2025-06-01"),
    ]
    r = crm.post(
        f"{ORD}/bulk",
        json={
            "records": [
                {"title": f"{c}-{i}", "amount": a, "day": d, "customer": ids[c]}
                for i, (c, a, d) in enumerate(orders)
            ]
        },
    )
    assert r.status_code in (200, 201), r.json()
    return ids


def _names(crm: TestClient, filter: object) -> list[str]:
    r = crm.post(f"{R}/query", json={"filter": filter, "sort": [{"field": "name"}]})
    assert r.status_code == 200, r.json()
    return [x["name"] for x in r.json()["items"]]


def test_a_formula_row_with_aggregates_filters_records(crm: TestClient) -> None:
    _setup(crm)
    assert _names(crm, {"formula": SLEEPING_VIP}) == ["Sleepy"]
    spent = 'SUMIF({订单.金额}, {订单.日期} >= DATEADD(TODAY(), -12, "months")) > 10000'
    assert _names(crm, {"formula": spent}) == ["Recent", "Sleepy"]
    assert _names(crm, {"formula": "COUNTIF({订单}, {订单.金额} > 5000) >= 2"}) == []
    assert _names(crm, {"formula": "COUNTIF({订单}, {订单.金额} > 1000) = 1"}) == [
        "Old",
        "Recent",
    ]
    # never visited: MAX of no dates is blank
    assert _names(crm, {"formula": "ISBLANK(MAX({订单.日期}))"}) == ["Nobody"]
    # beside plain conditions, negated, in groups
    both = {"and": [{"formula": spent}, {"field": "name", "op": "eq", "value": "Recent"}]}
    assert _names(crm, both) == ["Recent"]
    assert _names(crm, {"not": {"formula": spent}}) == ["Nobody", "Old"]


def test_a_condition_over_another_relation_is_refused_where_it_is(crm: TestClient) -> None:
    _setup(crm)
    bad = "COUNTIF({订单}, {订单.金额} > 1) > COUNTIF({订单}, {name} = COUNT({订单}))"
    r = crm.post(
        f"{R}/query",
        json={"filter": {"and": [{"field": "name", "op": "eq", "value": "x"}, {"formula": bad}]}},
    )
    assert r.status_code == 422
    err = r.json()["errors"][0]
    assert err["field"] == "filter.and.1.formula"
    assert err["message"] == (
        "column 59: the condition may read the rows of {订单} (as {订单.field}) and this "
        "record's fields, not {订单}."
    )
    r = crm.post(
        f"{R}/query",
        json={"filter": {"formula": "SUMIF({name}, TRUE) > 1"}},
        headers={"accept-language": "zh-CN"},
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["message"] == (
        "第 7 列: SUMIF 的第 1 个参数应为关联字段，如 {订单.金额}"
    )


def test_a_view_holding_a_formula_row_saves_and_loads(crm: TestClient) -> None:
    _setup(crm)
    config = {
        "filter": {
            "and": [{"formula": SLEEPING_VIP}, {"not": {"field": "name", "op": "eq", "value": "x"}}]
        },
        "sort": None,
        "columns": [{"key": "name", "visible": True}],
        "widths": {},
    }
    r = crm.post(V, json={"name": "沉睡 VIP", "config": config})
    assert r.status_code == 201, r.json()
    view = r.json()
    assert view["config"]["filter"] == config["filter"]
    again = next(v for v in crm.get(V).json()["items"] if v["id"] == view["id"])
    assert again["config"]["filter"] == config["filter"]
    assert _names(crm, again["config"]["filter"]) == ["Sleepy"]


def test_the_filter_builder_checks_a_formula_row_without_running_it(crm: TestClient) -> None:
    _setup(crm)
    check = f"{R}/check-filter"
    r = crm.post(check, json={"filter": {"formula": SLEEPING_VIP}})
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert crm.post(check, json={"filter": None}).json() == {"ok": True}
    r = crm.post(
        check,
        json={"filter": {"or": [{"formula": "TRUE"}, {"formula": "COUNTIF({订单}, {nope})"}]}},
        headers={"accept-language": "zh-CN"},
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "filter.or.1.formula"
    assert r.json()["errors"][0]["message"] == "第 15 列：没有字段 {nope}。"
    r = crm.post(check, json={"filter": {"formula": '"text"'}})
    assert r.status_code == 422
    assert r.json()["errors"][0]["message"] == "column 1: the formula must give TRUE or FALSE."


def test_the_formula_editor_lists_the_conditional_aggregates(crm: TestClient) -> None:
    items = {f["name"]: f for f in crm.get("/api/v1/formula/functions").json()["items"]}
    for name, zh in (
        ("SUMIF", "条件求和"),
        ("COUNTIF", "条件计数"),
        ("AVERAGEIF", "条件平均值"),
        ("MINIF", "条件最小值"),
        ("MAXIF", "条件最大值"),
    ):
        assert items[name]["zh"] == zh and items[name]["category"] == "math"
        assert items[name]["signature"].startswith(f"{name}({{relation")
        assert items[name]["description"]
    assert items["SUMIF"]["returns"] == "number"
    assert items["MAXIF"]["returns"] == "number"  # a date when it aggregates dates


def test_formula_fields_with_the_new_aggregates(crm: TestClient) -> None:
    ids = _setup(crm)
    for key, formula in (
        ("last_order", "MAX({订单.日期})"),
        ("spent_12m", 'SUMIF({订单.金额}, {订单.日期} >= DATEADD(TODAY(), -12, "months"))'),
        ("big_orders", "COUNTIF({订单.金额} > 5000)"),
        ("idle_days", "DAYS(TODAY(), MAX({订单.日期}))"),
    ):
        r = crm.post(
            f"{T}/customers/fields",
            json={"key": key, "type": "formula", "options": {"formula": formula}},
        )
        assert r.status_code == 201, r.json()
    types = {
        f["key"]: f["options"].get("result_type")
        for f in crm.get(f"{T}/customers").json()["fields"]
    }
    assert types["last_order"] == "date" and types["spent_12m"] == "number"
    sleepy = crm.get(f"{R}/{ids['Sleepy']}").json()
    assert sleepy["last_order"] == "2025-08-08"
    assert sleepy["spent_12m"] == 12000 and sleepy["big_orders"] == 1 and sleepy["idle_days"] == 150
    nobody = crm.get(f"{R}/{ids['Nobody']}").json()
    assert nobody["last_order"] is None and nobody["spent_12m"] == 0
    # a date formula field filters and sorts as a date
    page = crm.post(
        f"{R}/query",
        json={
            "filter": {"field": "last_order", "op": "lt", "value": "2025-09-01"},
            "sort": [{"field": "last_order", "direction": "desc"}],
        },
    ).json()
    assert [x["name"] for x in page["items"]] == ["Sleepy", "Old"]


def test_conditional_aggregates_over_a_subform(crm: TestClient) -> None:
    r = crm.post(f"{T}/orders/fields", json={"key": "lines", "name": "明细", "type": "subform"})
    assert r.status_code == 201, r.text
    for body in (
        {"key": "item", "name": "品名", "type": "text"},
        {"key": "qty", "name": "数量", "type": "number"},
    ):
        assert crm.post(f"{T}/orders_lines/fields", json=body).status_code == 201
    formula = 'SUMIF({明细.数量}, {明细.品名} = "工时")'
    body = {"key": "hours", "type": "formula", "options": {"formula": formula}}
    assert crm.post(f"{T}/orders/fields", json=body).status_code == 201
    lines = [{"item": "工时", "qty": 2}, {"item": "航材", "qty": 7}, {"item": "工时", "qty": 3}]
    order = crm.post(ORD, json={"title": "Q", "lines": lines}).json()
    assert crm.get(f"{ORD}/{order['id']}").json()["hours"] == 5
    crm.post(ORD, json={"title": "R", "lines": [{"item": "航材", "qty": 1}]})
    r = crm.post(f"{ORD}/query", json={"filter": {"formula": 'COUNTIF({明细.品名} = "工时") >= 2'}})
    assert [x["title"] for x in r.json()["items"]] == ["Q"]
