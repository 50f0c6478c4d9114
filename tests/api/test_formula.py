"""Formula fields and formula filters through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient

T = "/api/v1/apps/crm/tables"
R = f"{T}/customers/records"
ORD = f"{T}/orders/records"


def add_field(client: TestClient, table: str, key: str, formula: str, **extra: object) -> dict:
    r = client.post(
        f"{T}/{table}/fields",
        json={
            "key": key,
            "name": extra.pop("name", key),
            "type": "formula",
            "options": {"formula": formula},
        },
    )
    return r.json() | {"status": r.status_code}


def test_formula_field_is_computed_read_only_and_typed(crm: TestClient) -> None:
    f = add_field(
        crm, "customers", "score", "ROUND({飞行小时} * 1.5 + {credit} / 3, 2)", name="评分"
    )
    assert f["status"] == 201, f
    assert f["options"] == {
        "formula": "ROUND({flight_hours} * 1.5 + {credit} / 3, 2)",
        "result_type": "number",
    }
    a = crm.post(R, json={"name": "A", "flight_hours": 10, "credit": 100}).json()
    b = crm.post(R, json={"name": "B"}).json()
    assert a["score"] == 48.33
    assert b["score"] == 0  # blank + 1 = 1: blanks count as 0
    r = crm.post(R, json={"name": "C", "score": 1})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "score"
    # filters and sorts on it run in SQL
    page = crm.post(
        f"{R}/query",
        json={
            "filter": {"field": "score", "op": "gt", "value": 10},
            "sort": [{"field": "score", "direction": "desc"}],
        },
    ).json()
    assert [x["name"] for x in page["items"]] == ["A"]


def test_errors_text_dates_and_renames(crm: TestClient) -> None:
    assert add_field(crm, "customers", "ratio", "{credit} / {飞行小时}")["status"] == 201
    assert add_field(crm, "customers", "label", '{name} & "-" & {tier}')["status"] == 201
    assert add_field(crm, "customers", "renew", 'DATEADD({签约日期}, 1, "years")')["status"] == 201
    c = crm.post(
        R,
        json={
            "name": "Acme",
            "tier": "VIP",
            "credit": 5,
            "flight_hours": 0,
            "signed_on": "2024-02-29",
        },
    ).json()
    assert c["ratio"] == "#DIV/0!"
    assert c["label"] == "Acme-VIP"
    assert c["renew"] == "2025-02-28"
    # renaming a field the formula uses keeps it working and shows the new key
    r = crm.patch(f"{T}/customers/fields/name", json={"key": "title"})
    assert r.status_code == 200
    label = next(f for f in crm.get(f"{T}/customers").json()["fields"] if f["key"] == "label")
    assert label["options"]["formula"] == '{title} & "-" & {tier}'
    assert crm.get(f"{R}/{c['id']}").json()["label"] == "Acme-VIP"


def test_relation_aggregates_and_formula_on_formula(crm: TestClient) -> None:
    assert add_field(crm, "customers", "spent", "SUM({订单.金额})")["status"] == 201
    assert add_field(crm, "customers", "big", "{spent} > 100")["status"] == 201
    c = crm.post(R, json={"name": "Acme"}).json()
    crm.post(
        f"{ORD}/bulk",
        json={
            "records": [
                {"title": "a", "amount": 99.5, "customer": c["id"]},
                {"title": "b", "amount": 1, "customer": c["id"]},
            ]
        },
    )
    got = crm.get(f"{R}/{c['id']}").json()
    assert got["spent"] == 100.5 and got["big"] is True


def test_bad_formulas_are_refused_with_located_messages(crm: TestClient) -> None:
    f = add_field(crm, "customers", "x", 'DATEADD({签约日期}, {签约日期}, "days")')
    assert f["status"] == 422
    assert f["errors"][0]["field"] == "options.formula"
    assert f["errors"][0]["message"] == "column 17: DATEADD expects a number as argument 2"
    r = crm.post(
        f"{T}/customers/fields",
        json={"key": "x", "type": "formula", "options": {"formula": "1 +"}},
        headers={"accept-language": "zh-CN"},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["message"].startswith("第 4 列")
    assert add_field(crm, "customers", "y", "{nope} + 1")["status"] == 422


def test_cycles_are_refused(crm: TestClient) -> None:
    assert add_field(crm, "customers", "a", "{flight_hours} + 1")["status"] == 201
    assert add_field(crm, "customers", "b", "{a} * 2")["status"] == 201
    r = crm.patch(f"{T}/customers/fields/a", json={"options": {"formula": "{b} + 1"}})
    assert r.status_code == 422
    assert "a → b → a" in r.json()["errors"][0]["message"]


def test_deleting_a_field_a_formula_uses_is_refused(crm: TestClient) -> None:
    assert add_field(crm, "customers", "score", "{flight_hours} * 2")["status"] == 201
    r = crm.delete(f"{T}/customers/fields/flight_hours")
    assert r.status_code == 422
    assert "customers.score" in r.json()["errors"][0]["message"]
    assert crm.delete(f"{T}/customers/fields/score").status_code in (200, 204)
    assert crm.delete(f"{T}/customers/fields/flight_hours").status_code in (200, 204)


def test_formula_filter_node(crm: TestClient, frozen_clock) -> None:
    crm.post(
        f"{R}/bulk",
        json={
            "records": [
                {"name": "old vip", "tier": "VIP", "last_contact": "2025-10-01T10:00:00+08:00"},
                {"name": "new vip", "tier": "VIP", "last_contact": "2026-01-04T10:00:00+08:00"},
                {"name": "old gold", "tier": "Gold", "last_contact": "2025-10-01T10:00:00+08:00"},
            ]
        },
    )
    body = {"filter": {"formula": 'AND({等级}="VIP", DAYS(TODAY(), {最近联系}) > 30)'}}
    page = crm.post(f"{R}/query", json=body).json()
    assert [x["name"] for x in page["items"]] == ["old vip"]
    both = {"and": [{"formula": "LEN({name}) > 3"}, {"field": "tier", "op": "eq", "value": "Gold"}]}
    assert [x["name"] for x in crm.post(f"{R}/query", json={"filter": both}).json()["items"]] == [
        "old gold"
    ]
    r = crm.post(f"{R}/query", json={"filter": {"formula": "{name} & 1"}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "filter.formula"
    r = crm.post(f"{R}/query", json={"filter": {"or": [{"formula": "1 +"}]}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "filter.or.0.formula"


def test_formula_fields_survive_export_and_import(crm: TestClient) -> None:
    import yaml

    assert add_field(crm, "customers", "spent", "SUM({订单.金额})")["status"] == 201
    assert add_field(crm, "customers", "label", 'UPPER({name}) & ": " & {spent}')["status"] == 201
    text = crm.get("/api/v1/apps/crm/export").text
    first = yaml.safe_load(text)
    r = crm.post(
        "/api/v1/apps/import?key=copy",
        content=text.encode(),
        headers={"content-type": "application/yaml"},
    )
    assert r.status_code == 201, r.text
    second = yaml.safe_load(crm.get("/api/v1/apps/copy/export").text)
    second["app"].pop("key")
    first["app"].pop("key")
    assert second == first
    c = crm.post("/api/v1/apps/copy/tables/customers/records", json={"name": "acme"}).json()
    assert c["label"] == "ACME: 0"


def test_working_days_follow_the_statutory_calendar_and_the_admins_entries(
    crm: TestClient,
) -> None:
    """WORKDAY in a formula field and WORKDAYS in a formula filter, computed in SQL from the
    days table; an admin's make-up working day (调休) or extra holiday changes both at once,
    and so does taking it back."""
    f = add_field(crm, "customers", "due", "WORKDAY({签约日期}, 1)")
    assert f["status"] == 201, f
    # National Day 2026: 1–7 October are holidays, so the working day after 30 September is
    # 8 October; a Saturday make-up day (10 October) is a working day.
    a = crm.post(R, json={"name": "A", "signed_on": "2026-09-30"}).json()
    b = crm.post(R, json={"name": "B", "signed_on": "2026-10-09"}).json()
    assert crm.get(f"{R}/{a['id']}").json()["due"] == "2026-10-08"
    assert crm.get(f"{R}/{b['id']}").json()["due"] == "2026-10-10"

    def long_gap() -> list[str]:
        body = {"filter": {"formula": "WORKDAYS({签约日期}, DATE(2026, 10, 12)) > 4"}}
        r = crm.post(f"{R}/query", json=body)
        assert r.status_code == 200, r.text
        return sorted(x["name"] for x in r.json()["items"])

    # From A: 30 Sep, 8, 9, 10 (the make-up Saturday) and 12 October; from B: three.
    assert long_gap() == ["A"]
    r = crm.post("/api/v1/calendar/days", json={"day": "2026-10-08", "is_workday": False})
    assert r.status_code == 201, r.text
    assert crm.get(f"{R}/{a['id']}").json()["due"] == "2026-10-09"
    assert long_gap() == []
    assert crm.delete("/api/v1/calendar/days/2026-10-08").status_code == 204
    assert crm.get(f"{R}/{a['id']}").json()["due"] == "2026-10-08"
    assert long_gap() == ["A"]


def test_and_or_fields_keep_false_whichever_argument_comes_first(crm: TestClient) -> None:
    """Issue 14: AND(FALSE, TRUE) read as blank (and AND(TRUE, FALSE) on PostgreSQL): the
    field's SQL went under NOT without parentheses (``NOT a AND b`` / ``a AND b = 0``)."""
    fields = {
        "and_ft": ("AND(FALSE, TRUE)", False, False),
        "and_tf": ("AND(TRUE, FALSE)", False, False),
        "and_gt": ("AND(1 > 2, 0 <> {credit})", False, False),
        "and_lt": ("AND(1 < 2, 0 <> {credit})", True, False),
        "or_ft": ("OR(FALSE, TRUE)", True, True),
        "or_gt": ("OR(1 > 2, 0 <> {credit})", True, False),
        "or_lt": ("OR(1 < 2, 0 <> {credit})", True, True),
        "not_and": ("NOT(AND(FALSE, TRUE))", True, True),
    }
    for key, (formula, _, _) in fields.items():
        assert add_field(crm, "customers", key, formula)["status"] == 201
    # formulas over them: as text, as a number, as a condition
    assert add_field(crm, "customers", "and_text", '{and_gt} & ""')["status"] == 201
    assert add_field(crm, "customers", "and_num", "{and_gt} + 0")["status"] == 201
    assert add_field(crm, "customers", "and_if", 'IF({and_gt}, "y", "n")')["status"] == 201
    a = crm.post(R, json={"name": "A", "credit": 5}).json()
    b = crm.post(R, json={"name": "B"}).json()  # credit blank
    for rec, col in ((a, 1), (b, 2)):
        got = crm.get(f"{R}/{rec['id']}").json()
        assert {k: got[k] for k in fields} == {k: v[col] for k, v in fields.items()}
        assert {k: rec[k] for k in fields} == {k: v[col] for k, v in fields.items()}
        assert (got["and_text"], got["and_num"], got["and_if"]) == ("FALSE", 0, "n")
    page = crm.post(f"{R}/query", json={"sort": [{"field": "name"}]}).json()["items"]
    assert [[x[k] for k in fields] for x in page] == [
        [v[1] for v in fields.values()],
        [v[2] for v in fields.values()],
    ]

    def names(flt: dict) -> list[str]:
        body = {"filter": flt, "sort": [{"field": "name"}]}
        r = crm.post(f"{R}/query", json=body)
        assert r.status_code == 200, r.json()
        return [x["name"] for x in r.json()["items"]]

    assert names({"field": "and_ft", "op": "eq", "value": False}) == ["A", "B"]
    assert names({"field": "and_tf", "op": "eq", "value": False}) == ["A", "B"]
    assert names({"field": "and_gt", "op": "ne", "value": True}) == ["A", "B"]
    assert names({"field": "and_lt", "op": "eq", "value": True}) == ["A"]
    assert names({"field": "and_lt", "op": "eq", "value": False}) == ["B"]
    assert names({"field": "or_gt", "op": "eq", "value": False}) == ["B"]
    assert names({"not": {"field": "and_lt", "op": "eq", "value": True}}) == ["B"]
    assert names({"formula": "NOT({and_lt})"}) == ["B"]
    assert names({"formula": "AND(1 > 2, 0 <> {credit})"}) == []
    assert names({"formula": "NOT(AND(1 > 2, 0 <> {credit}))"}) == ["A", "B"]
