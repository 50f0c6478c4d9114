"""Dashboards and ad-hoc reports through HTTP, on the fixed after-sales data set."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from cairn.services import Services
from servicedata import make_service_app

D = "/api/v1/apps/svc/dashboards"
REP = "/api/v1/apps/svc/reports"
JAN = {"start": "2026-01-01", "end": "2026-01-31"}
TICKETS = {"table": "tickets", "date_field": "opened_at"}

WIDGETS: list[dict[str, Any]] = [
    {"id": "nps", "type": "number", "kpi": {"key": "nps", "params": {**TICKETS, "score_field": "nps", "period": JAN}}},
    {"id": "csat", "type": "gauge", "kpi": {"key": "csat", "params": {**TICKETS, "score_field": "csat"}}, "settings": {"max": 100}},
    {"id": "trend", "type": "line", "dataset": {"table": "tickets", "dimensions": [{"field": "opened_at", "bucket": "month"}]}},
    {"id": "by_kind", "type": "stacked_bar", "dataset": {"table": "tickets", "dimensions": [{"field": "channel"}, {"field": "kind"}]}},
    {"id": "share", "type": "pie", "dataset": {"table": "tickets", "dimensions": [{"field": "channel"}]}},
    {"id": "funnel", "type": "funnel", "kpi": {"key": "funnel_conversion", "params": {**TICKETS, "stage_field": "stage"}}},
    {"id": "map", "type": "china_map", "dataset": {"table": "tickets", "dimensions": [{"field": "customer.province"}]}},
    {"id": "pivot", "type": "pivot", "dataset": {"table": "tickets", "dimensions": [{"field": "channel"}], "columns": [{"field": "kind"}]}},
    {"id": "table", "type": "table", "dataset": {"table": "tickets", "dimensions": [{"field": "customer"}], "measures": [{"agg": "sum", "field": "amount"}]}},
    {"id": "bar", "type": "bar", "kpi": {"key": "resolution_rate", "params": {**TICKETS, "match_filter": {"field": "resolved", "op": "eq", "value": True}, "split": {"field": "kind"}}}},
]  # fmt: skip

BOARD = {
    "key": "service",
    "name": "服务总览",
    "widgets": WIDGETS,
    "filters": [
        {"key": "period", "type": "date_range", "field": "opened_at"},
        {"key": "channel", "type": "field", "field": "channel"},
    ],
}


@pytest.fixture
def svc_client(services: Services, client: TestClient) -> TestClient:
    make_service_app(services)
    return client


def test_dashboard_crud(svc_client: TestClient) -> None:
    c = svc_client
    r = c.post(D, json=BOARD)
    assert r.status_code == 201, r.text
    board = r.json()
    assert [w["id"] for w in board["widgets"]] == [w["id"] for w in WIDGETS]
    assert c.get(D).json()["items"][0]["key"] == "service"
    assert c.post(D, json=BOARD).status_code == 422  # the key is taken

    changed = {**BOARD, "name": "服务", "widgets": WIDGETS[:2], "version": board["version"]}
    r = c.put(f"{D}/{board['id']}", json=changed)
    assert r.status_code == 200, r.text
    assert (r.json()["name"], len(r.json()["widgets"]), r.json()["version"]) == ("服务", 2, 2)
    assert c.put(f"{D}/{board['id']}", json=changed).status_code == 409  # stale version

    assert c.delete(f"{D}/{board['id']}").status_code == 204
    assert c.get(f"{D}/{board['id']}").status_code == 404


@pytest.mark.parametrize(
    "widget",
    [
        {"id": "w", "type": "sparkle", "dataset": {"table": "tickets"}},
        {"id": "w", "type": "pivot", "kpi": {"key": "nps", "params": {}}},
        {"id": "w", "type": "number", "kpi": {"key": "nope", "params": {}}},
        {"id": "w", "type": "number"},
        {"id": "w", "type": "number", "dataset": {"table": "nope"}},
    ],
)
def test_bad_widgets_are_refused(svc_client: TestClient, widget: dict[str, Any]) -> None:
    r = svc_client.post(D, json={**BOARD, "widgets": [widget]})
    assert r.status_code in (404, 422), r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert svc_client.get(D).json()["items"] == []


def test_dashboard_data_is_ready_for_echarts(svc_client: TestClient) -> None:
    board = svc_client.post(D, json=BOARD).json()
    r = svc_client.get(f"{D}/{board['id']}/data")
    assert r.status_code == 200, r.text
    w = r.json()["widgets"]

    nps = w["nps"]["data"]
    assert nps["value"] == pytest.approx(100 / 7)
    assert nps["previous"] == pytest.approx(100 / 3)
    assert nps["trend"] == "down"

    assert w["csat"]["data"]["series"][0]["type"] == "gauge"
    trend = w["trend"]["data"]
    assert trend["xAxis"] == {"type": "category", "data": ["2025-12", "2026-01"]}
    assert trend["series"][0]["type"] == "line"
    assert trend["series"][0]["data"] == [3, 7]

    stacked = w["by_kind"]["data"]
    assert stacked["xAxis"]["data"] == ["PHONE", "WEB", "WECHAT"]
    assert {s["name"]: s["data"] for s in stacked["series"]} == {
        "SERVICE": [5, 1, 1],
        "COMPLAINT": [1, 2, None],
    }
    assert all(s["stack"] == "total" for s in stacked["series"])

    pie = w["share"]["data"]["series"][0]
    assert pie["data"] == [  # with the raw key of each slice, for the drill-down
        {"name": "PHONE", "value": 6, "keys": ["phone"]},
        {"name": "WEB", "value": 3, "keys": ["web"]},
        {"name": "WECHAT", "value": 1, "keys": ["wechat"]},
    ]
    funnel = w["funnel"]["data"]["series"][0]
    assert [(d["name"], d["value"]) for d in funnel["data"]] == [
        ("LEAD", 10),
        ("CONTACTED", 8),
        ("QUOTED", 7),
        ("WON", 5),
    ]
    china = w["map"]["data"]
    assert china["series"][0]["map"] == "china"
    assert sorted((d["name"], d["value"]) for d in china["series"][0]["data"]) == [
        ("北京市", 1),
        ("广东省", 5),
        ("浙江省", 4),
    ]
    assert w["pivot"]["data"]["cells"] == [[[1], [5]], [[2], [1]], [None, [1]]]
    table = w["table"]["data"]
    assert table["rows"][0] == ["甲", 220]
    bar = w["bar"]["data"]
    assert bar["xAxis"]["data"] == ["SERVICE", "COMPLAINT"]
    assert bar["series"][0]["data"] == [pytest.approx(100), 0]


def test_dashboard_filters_narrow_every_widget(svc_client: TestClient) -> None:
    board = svc_client.post(D, json=BOARD).json()
    filters = '{"period": ["2026-01-01", "2026-01-31"], "channel": "web"}'
    r = svc_client.get(f"{D}/{board['id']}/data", params={"filters": filters})
    assert r.status_code == 200, r.text
    w = r.json()["widgets"]
    # January, web only: t2 (nps 3), t6 (nps 10) → 50 − 50 = 0; December web: t9 (2) → −100.
    assert w["nps"]["data"]["value"] == pytest.approx(0)
    assert w["nps"]["data"]["previous"] == pytest.approx(-100)
    assert w["trend"]["data"]["series"][0]["data"] == [2]
    assert svc_client.get(f"{D}/{board['id']}/data", params={"filters": "nope"}).status_code == 422
    bad = '{"period": ["2026-02-01"]}'
    assert svc_client.get(f"{D}/{board['id']}/data", params={"filters": bad}).status_code == 422


def test_ad_hoc_datasets_kpis_and_drill_down(svc_client: TestClient) -> None:
    c = svc_client
    spec = {"table": "tickets", "dimensions": [{"field": "channel"}]}
    r = c.post(f"{REP}/datasets/query", json=spec)
    assert r.status_code == 200, r.text
    assert [row["values"] for row in r.json()["rows"]] == [[6], [3], [1]]

    r = c.post(f"{REP}/datasets/drill", json={"dataset": spec, "keys": ["wechat"]})
    assert r.status_code == 200, r.text
    found = c.post(
        "/api/v1/apps/svc/tables/tickets/records/query", json={"filter": r.json()["filter"]}
    )
    assert found.status_code == 200, found.text
    assert [x["title"] for x in found.json()["items"]] == ["t4"]

    kpis = c.get(f"{REP}/kpis").json()["items"]
    assert {k["key"] for k in kpis} >= {"nps", "csat", "churn_rate", "funnel_conversion"}
    r = c.post(f"{REP}/kpis/csat", json={**TICKETS, "score_field": "csat", "period": JAN})
    assert r.json()["value"] == pytest.approx(400 / 7)

    r = c.post(f"{REP}/kpis/nope", json={"table": "tickets"})
    assert r.status_code == 422
    r = c.post(
        f"{REP}/datasets/query",
        json={**spec, "dimensions": [{"field": "nope"}]},
        headers={"accept-language": "zh-CN"},
    )
    assert r.status_code == 422
    assert "nope" in r.text
    r = c.post(
        f"{REP}/datasets/query",
        json={
            "table": "tickets",
            "measures": [{"agg": "formula", "key": "avg", "formula": "SUM({金额}) / COUNT()"}],
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["rows"][0]["values"] == [106.0]  # 1060 over 10 tickets
    r = c.post(
        f"{REP}/datasets/query",
        json={"table": "tickets", "measures": [{"agg": "formula", "formula": "{金额} * 2"}]},
        headers={"accept-language": "zh-CN"},
    )
    assert r.status_code == 422 and "聚合" in r.text


def test_dashboards_travel_in_the_app_package(svc_client: TestClient) -> None:
    c = svc_client
    assert c.post(D, json=BOARD).status_code == 201
    text = c.get("/api/v1/apps/svc/export").text
    first = yaml.safe_load(text)
    assert [d["key"] for d in first["dashboards"]] == ["service"]
    r = c.post(
        "/api/v1/apps/import?key=copy",
        content=text.encode(),
        headers={"content-type": "application/yaml"},
    )
    assert r.status_code == 201, r.text
    second = yaml.safe_load(c.get("/api/v1/apps/copy/export").text)
    assert second["dashboards"] == first["dashboards"]
    [board] = c.get("/api/v1/apps/copy/dashboards").json()["items"]
    assert c.get(f"/api/v1/apps/copy/dashboards/{board['id']}/data").status_code == 200

    # A package whose dashboard names a missing table is refused whole.
    first["dashboards"][0]["widgets"][2]["dataset"]["table"] = "nope"
    r = c.post(
        "/api/v1/apps/import?key=broken",
        content=yaml.safe_dump(first, allow_unicode=True).encode(),
        headers={"content-type": "application/yaml"},
    )
    assert r.status_code in (404, 422)
    assert c.get("/api/v1/apps/broken/dashboards").status_code == 404


def test_a_date_filter_takes_a_preset_resolved_on_the_clock(svc_client: TestClient) -> None:
    """The clock stands at Monday 2026-01-05: 'this month' is January, as the dates give it;
    a stored default preset applies when no value is given."""
    board = svc_client.post(D, json=BOARD).json()

    def data(filters: str) -> dict[str, Any]:
        r = svc_client.get(f"{D}/{board['id']}/data", params={"filters": filters})
        assert r.status_code == 200, r.text
        return r.json()["widgets"]

    january = data('{"period": ["2026-01-01", "2026-01-31"]}')
    assert data('{"period": {"preset": "this_month"}}') == january
    assert data('{"period": {"preset": "last_n_days", "days": 5}}') == data(
        '{"period": ["2026-01-01", "2026-01-05"]}'
    )
    assert data('{"period": {"preset": "this_month"}}') != data("{}")

    with_default = {**BOARD, "key": "service_month", "filters": [
        {"key": "period", "type": "date_range", "field": "opened_at", "default": {"preset": "this_month"}},
    ]}  # fmt: skip
    month = svc_client.post(D, json=with_default).json()
    r = svc_client.get(f"{D}/{month['id']}/data")
    assert r.json()["widgets"] == january

    bad = '{"period": {"preset": "next_century"}}'
    assert svc_client.get(f"{D}/{board['id']}/data", params={"filters": bad}).status_code == 422
