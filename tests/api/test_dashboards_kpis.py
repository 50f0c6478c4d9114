"""The KPI library and KPI mappings through HTTP: each KPI's title and definition in the
caller's language; an app maps a KPI to its tables once (checked like a widget) and KPI
widgets, alerts and computations that name no table use the mapping; dashboards, alerts and
mappings travel in the app package and come back the same."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.services import Services
from factories import make_user
from servicedata import make_service_app

APP = "/api/v1/apps/svc"
M = f"{APP}/kpi-mappings"
D = f"{APP}/dashboards"
JAN = {"start": "2026-01-01", "end": "2026-01-31"}
NPS = {"table": "tickets", "date_field": "opened_at", "score_field": "nps"}
CARD = {"id": "nps", "type": "number", "kpi": {"key": "nps", "params": {"period": JAN}}}


@pytest.fixture
def svc(services: Services, client: TestClient) -> TestClient:
    make_service_app(services)
    return client


def errors(r: Any) -> dict[str, str]:
    assert r.status_code == 422, r.text
    return {e["field"]: e["code"] for e in r.json()["errors"]}


def test_the_kpi_library_says_what_each_kpi_is_in_the_callers_language(svc: TestClient) -> None:
    en = svc.get(f"{APP}/reports/kpis").json()["items"]
    zh = svc.get(f"{APP}/reports/kpis", headers={"accept-language": "zh-CN"}).json()["items"]
    assert len(en) == len(zh) == 11
    for e, z in zip(en, zh, strict=True):
        assert e["key"] == z["key"]
        assert e["title"] and e["definition"] and z["title"] and z["definition"]
        assert e["title"] != z["title"] and e["definition"] != z["definition"], e["key"]
        assert e["params"]["properties"]["table"]
    by_key = {k["key"]: k for k in zh}
    assert by_key["nps"]["title"] == "净推荐值（NPS）"
    assert "推荐者" in by_key["nps"]["definition"]
    assert {k["key"]: k["title"] for k in en}["first_time_fix_rate"] == "First-time fix rate"


def test_a_mapping_is_checked_like_a_widget(svc: TestClient) -> None:
    assert svc.get(M).json() == {"items": []}
    cases = [
        ({**NPS, "table": "nope"}, {"params.table": "report.table_unknown"}),
        ({**NPS, "score_field": "title"}, {"params.score_field": "report.param_number"}),
        ({**NPS, "date_field": "nps"}, {"params.date_field": "report.param_date"}),
        ({"table": "tickets"}, {"params.score_field": "field.required"}),
        ({"score_field": "nps"}, {"params.table": "report.kpi_table"}),
        ({**NPS, "colour": "red"}, {"params.colour": "invalid.body"}),
    ]
    for params, expected in cases:
        assert errors(svc.put(f"{M}/nps", json={"params": params})) == expected, params
    assert errors(svc.put(f"{M}/nope", json={"params": NPS})) == {"kpi": "report.kpi_unknown"}
    assert svc.get(M).json() == {"items": []}

    r = svc.put(f"{M}/nps", json={"params": NPS})
    assert r.status_code == 200, r.text
    assert r.json()["params"] == NPS
    r = svc.put(f"{M}/nps", json={"params": {**NPS, "date_field": "responded_at"}})
    assert [(m["kpi"], m["params"]["date_field"]) for m in svc.get(M).json()["items"]] == [
        ("nps", "responded_at")
    ]
    assert svc.delete(f"{M}/nps").status_code == 204
    assert svc.delete(f"{M}/nps").status_code == 404
    assert svc.get(M).json() == {"items": []}
    # Each change is in the audit log, with what changed.
    log = svc.get("/api/v1/audit", params={"target_type": "kpi_mapping"}).json()["items"]
    assert [e["action"] for e in reversed(log)] == [
        "kpi_mapping.create",
        "kpi_mapping.update",
        "kpi_mapping.delete",
    ]
    assert log[1]["details"]["after"]["params"]["date_field"] == "responded_at"


def test_kpis_that_name_no_table_use_the_apps_mapping(svc: TestClient) -> None:
    # Without a mapping, a KPI widget naming no table cannot be saved.
    r = svc.post(D, json={"key": "b", "name": "B", "widgets": [CARD]})
    assert errors(r) == {"widgets.0.kpi.params.table": "report.kpi_table"}
    assert svc.put(f"{M}/nps", json={"params": NPS}).status_code == 200

    # January: 3 promoters and 2 detractors of 7; December 2 and 1 of 3.
    board = svc.post(D, json={"key": "b", "name": "B", "widgets": [CARD]})
    assert board.status_code == 201, board.text
    data = svc.get(f"{D}/{board.json()['id']}/data").json()["widgets"]["nps"]["data"]
    assert data["value"] == pytest.approx(100 / 7)
    assert data["previous"] == pytest.approx(100 / 3)
    r = svc.post(f"{APP}/reports/kpis/nps", json={"period": JAN, "split": {"field": "channel"}})
    assert r.status_code == 200, r.text
    assert [g["key"] for g in r.json()["groups"]] == ["phone", "web", "wechat"]
    preview = svc.post(f"{D}/preview", json={"widget": CARD}).json()
    assert preview["data"]["value"] == pytest.approx(100 / 7)

    alert = {
        "key": "nps_low",
        "name": "NPS 过低",
        "kpi": {"key": "nps", "params": {}},
        "period": JAN,
        "op": "<",
        "threshold": 20,
        "schedule": {"every": 1, "unit": "days"},
        "actions": [{"type": "notify", "channel": "inapp", "to": ["owner"], "subject": "NPS"}],
    }
    r = svc.post(f"{APP}/alerts", json=alert)
    assert r.status_code == 201, r.text
    check = svc.post(f"{APP}/alerts/{r.json()['id']}/check", params={"dry_run": "true"})
    assert check.json()["value"] == pytest.approx(100 / 7)

    # The mapping changed: the widget follows (promoters by the response date now).
    svc.put(f"{M}/nps", json={"params": {**NPS, "score_field": "csat"}})
    data = svc.get(f"{D}/{board.json()['id']}/data").json()["widgets"]["nps"]["data"]
    assert data["value"] == pytest.approx(-100)  # csat is 1–5: every answer is a detractor
    # Removed: the widget says why it has no data; the rest of the dashboard still shows.
    svc.delete(f"{M}/nps")
    widget = svc.get(f"{D}/{board.json()['id']}/data").json()["widgets"]["nps"]
    assert widget["data"] is None and widget["error"]["code"] == "field.required"


@pytest.fixture
def member(services: Services, svc: TestClient) -> Iterator[TestClient]:
    """Mia reads the tickets and uses the app; she does not manage it."""
    _, token = make_user(services, "mia")
    role = {
        "key": "tickets",
        "name": "工单",
        "members": ["mia"],
        "tables": [{"app": "svc", "table": "tickets", "actions": ["read"], "row_scope": "all"}],
    }
    assert svc.post("/api/v1/roles", json=role).status_code == 201
    with TestClient(create_app(services), headers={"authorization": f"Bearer {token}"}) as c:
        yield c


def test_members_read_the_mappings_and_managers_set_them(
    svc: TestClient, member: TestClient
) -> None:
    svc.put(f"{M}/nps", json={"params": NPS})
    assert [m["kpi"] for m in member.get(M).json()["items"]] == ["nps"]
    assert member.put(f"{M}/csat", json={"params": NPS}).status_code == 403
    assert member.delete(f"{M}/nps").status_code == 403
    r = member.post(f"{APP}/reports/kpis/nps", json={"period": JAN})
    assert r.json()["value"] == pytest.approx(100 / 7)


def test_dashboards_alerts_and_mappings_survive_export_and_import(svc: TestClient) -> None:
    assert svc.put(f"{M}/nps", json={"params": NPS}).status_code == 200
    csat = {"table": "tickets", "date_field": "opened_at", "score_field": "csat"}
    assert svc.put(f"{M}/csat", json={"params": csat}).status_code == 200
    widgets = [
        CARD,
        {"id": "csat", "type": "gauge", "kpi": {"key": "csat", "params": {}}},
        {"id": "by_channel", "type": "pie", "title": "渠道", "dataset": {"table": "tickets", "dimensions": [{"field": "channel"}]}, "layout": {"x": 4, "y": 0, "w": 4, "h": 3}},
    ]  # fmt: skip
    filters = [{"key": "period", "type": "date_range", "field": "opened_at", "label": "受理"}]
    board = {"key": "b", "name": "看板", "widgets": widgets, "filters": filters}
    assert svc.post(D, json=board).status_code == 201
    alert = {
        "key": "nps_low",
        "name": "NPS 过低",
        "kpi": {"key": "nps", "params": {}},
        "period": {"preset": "last_n_days", "days": 30},
        "op": "<",
        "threshold": 20,
        "schedule": {"cron": "0 9 * * *"},
        "actions": [{"type": "notify", "channel": "inapp", "to": ["owner"], "subject": "NPS"}],
    }
    assert svc.post(f"{APP}/alerts", json=alert).status_code == 201

    text = svc.get(f"{APP}/export").text
    first = yaml.safe_load(text)
    assert [m["kpi"] for m in first["kpi_mappings"]] == ["csat", "nps"]
    r = svc.post(
        "/api/v1/apps/import?key=copy",
        content=text.encode(),
        headers={"content-type": "application/yaml"},
    )
    assert r.status_code == 201, r.text
    second = yaml.safe_load(svc.get("/api/v1/apps/copy/export").text)
    for part in ("kpi_mappings", "dashboards", "alerts"):
        assert second[part] == first[part], part
    # The copy's widgets run on the copy's mappings (its tables are empty: a package holds
    # no records).
    [copied] = svc.get("/api/v1/apps/copy/dashboards").json()["items"]
    data = svc.get(f"/api/v1/apps/copy/dashboards/{copied['id']}/data").json()["widgets"]
    assert all("error" not in w for w in data.values()), data
    assert data["nps"]["data"]["value"] is None

    # A package whose mapping names a field the app lacks is refused whole.
    first["kpi_mappings"][1]["params"]["score_field"] = "nope"
    r = svc.post(
        "/api/v1/apps/import?key=broken",
        content=yaml.safe_dump(first, allow_unicode=True).encode(),
        headers={"content-type": "application/yaml"},
    )
    assert errors(r) == {"kpi_mappings.1.params.score_field": "field.unknown"}
    assert svc.get("/api/v1/apps/broken/dashboards").status_code == 404
