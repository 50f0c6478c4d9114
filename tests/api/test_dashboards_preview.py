"""The widget editor's preview through HTTP: an unsaved widget shows as the dashboard would
show it, and a widget that does not validate is refused with each reason at its input — the
same reasons when a dashboard is saved. A member is refused what they may not read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.services import Services
from factories import make_user
from servicedata import make_service_app

D = "/api/v1/apps/svc/dashboards"
PREVIEW = f"{D}/preview"
BY_CHANNEL = {
    "id": "w",
    "type": "stacked_bar",
    "title": "渠道",
    "dataset": {"table": "tickets", "dimensions": [{"field": "channel"}, {"field": "kind"}]},
}
PERIOD = {"key": "period", "type": "date_range", "field": "opened_at"}


@pytest.fixture
def svc_client(services: Services, client: TestClient) -> TestClient:
    make_service_app(services)
    return client


def errors(r: Any) -> dict[str, str]:
    assert r.status_code == 422, r.text
    return {e["field"]: e["code"] for e in r.json()["errors"]}


def test_the_preview_is_what_the_saved_widget_shows(svc_client: TestClient) -> None:
    c = svc_client
    r = c.post(PREVIEW, json={"widget": BY_CHANNEL})
    assert r.status_code == 200, r.text
    preview = r.json()
    assert preview["type"] == "stacked_bar" and preview["title"] == "渠道"
    assert preview["data"]["x_keys"] == ["phone", "web", "wechat"]
    assert {s["key"]: s["data"] for s in preview["data"]["series"]} == {
        "service": [5, 1, 1],
        "complaint": [1, 2, None],
    }
    board = c.post(D, json={"key": "b", "name": "B", "widgets": [BY_CHANNEL], "filters": [PERIOD]})
    assert board.status_code == 201, board.text
    data = c.get(f"{D}/{board.json()['id']}/data").json()
    assert data["widgets"]["w"] == preview

    # With the dashboard's filters and values, as the dashboard would show them.
    body = {
        "widget": BY_CHANNEL,
        "filters": [PERIOD],
        "values": {"period": ["2025-12-01", "2025-12-31"]},
    }
    december = c.post(PREVIEW, json=body).json()["data"]
    assert {s["key"]: s["data"] for s in december["series"]} == {
        "service": [2, None],
        "complaint": [None, 1],
    }


def test_a_kpi_needing_a_period_previews_with_the_reason(svc_client: TestClient) -> None:
    churn = {
        "id": "churn",
        "type": "number",
        "kpi": {
            "key": "churn_rate",
            "params": {
                "table": "customers",
                "date_field": "joined_on",
                "lost_filter": {"field": "churned", "op": "eq", "value": True},
                "lost_at_field": "churned_on",
            },
        },
    }
    r = svc_client.post(PREVIEW, json={"widget": churn})
    assert r.status_code == 200, r.text
    assert r.json()["error"]["code"] == "report.period_required"
    r = svc_client.post(
        PREVIEW,
        json={
            "widget": churn,
            "filters": [{**PERIOD, "field": "joined_on"}],
            "values": {"period": ["2026-01-01", "2026-01-31"]},
        },
    )
    assert r.json()["data"]["value"] == pytest.approx(200 / 3)


def dataset(**kw: Any) -> dict[str, Any]:
    return {"id": "w", "type": "bar", "dataset": {"table": "tickets", **kw}}


def nps(kind: str, **params: Any) -> dict[str, Any]:
    """A ``kind`` widget of the NPS KPI with these parameters."""
    return {"id": "w", "type": kind, "kpi": {"key": "nps", "params": params}}


BAD = [
    pytest.param(
        dataset(measures=[{"agg": "sum", "field": "title"}]),
        {"widget.dataset.measures.0.field": "report.measure_type"},
        id="sum-of-text",
    ),
    pytest.param(
        dataset(dimensions=[{"field": "nope"}]),
        {"widget.dataset.dimensions.0.field": "field.unknown"},
        id="unknown-field",
    ),
    pytest.param(
        dataset(dimensions=[{"field": "amount", "bucket": "month"}]),
        {"widget.dataset.dimensions.0.bucket": "report.bucket_type"},
        id="bucket-of-a-number",
    ),
    pytest.param(
        dataset(
            filter={
                "and": [
                    {"field": "kind", "op": "eq", "value": "service"},
                    {"field": "nope", "op": "eq", "value": 1},
                ]
            }
        ),
        {"widget.dataset.filter.and.1.field": "field.unknown"},
        id="filter-on-unknown-field",
    ),
    pytest.param(
        {"id": "w", "type": "bar", "dataset": {"table": "nope"}},
        {"widget.dataset.table": "report.table_unknown"},
        id="unknown-table",
    ),
    pytest.param(
        nps("pivot", table="tickets", score_field="nps"),
        {"widget.type": "report.widget_kpi"},
        id="pivot-of-a-kpi",
    ),
    pytest.param(
        nps("number", table="tickets", score_field="title"),
        {"widget.kpi.params.score_field": "report.param_number"},
        id="kpi-score-on-text",
    ),
    pytest.param(
        nps("number", table="tickets"),
        {"widget.kpi.params.score_field": "field.required"},
        id="kpi-parameter-missing",
    ),
    pytest.param(
        nps("number", score_field="nps"),
        {"widget.kpi.params.table": "report.kpi_table"},
        id="kpi-without-table-or-mapping",
    ),
    pytest.param(
        {"id": "w", "type": "sparkle", "dataset": {"table": "tickets"}},
        {"widget.type": "report.widget_type"},
        id="unknown-type",
    ),
    pytest.param(
        {"id": "w", "type": "bar"},
        {"widget": "invalid.body"},
        id="no-source",
    ),
]


@pytest.mark.parametrize(("widget", "expected"), BAD)
def test_a_widget_that_does_not_validate_is_refused_at_its_input(
    svc_client: TestClient, widget: dict[str, Any], expected: dict[str, str]
) -> None:
    r = svc_client.post(PREVIEW, json={"widget": widget})
    assert r.headers["content-type"].startswith("application/problem+json")
    assert errors(r) == expected


def test_every_error_of_a_widget_comes_at_once_in_the_callers_language(
    svc_client: TestClient,
) -> None:
    widget = dataset(
        dimensions=[{"field": "amount", "bucket": "month"}],
        measures=[{"agg": "sum", "field": "title"}, {"agg": "avg", "field": "nope"}],
    )
    r = svc_client.post(PREVIEW, json={"widget": widget})
    assert errors(r) == {
        "widget.dataset.dimensions.0.bucket": "report.bucket_type",
        "widget.dataset.measures.0.field": "report.measure_type",
        "widget.dataset.measures.1.field": "field.unknown",
    }
    said = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert said["widget.dataset.measures.0.field"] == (
        "'sum' needs a number field (min and max also take a date); 'title' is a text field."
    )
    r = svc_client.post(PREVIEW, json={"widget": widget}, headers={"accept-language": "zh-CN"})
    said = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert said["widget.dataset.measures.0.field"] == (
        "“sum”需要数字字段（min、max 也可用日期）；“title”是 text 类型的字段。"
    )
    assert said["widget.dataset.dimensions.0.bucket"] == "“amount”不是日期，不能按日期分段。"


def test_saving_a_dashboard_checks_every_widget_the_same_way(svc_client: TestClient) -> None:
    c = svc_client
    widgets = [
        BY_CHANNEL,
        {**dataset(measures=[{"agg": "sum", "field": "title"}]), "id": "sum"},
        {**dataset(dimensions=[{"field": "amount", "bucket": "week"}]), "id": "week"},
    ]
    r = c.post(D, json={"key": "b", "name": "B", "widgets": widgets})
    assert errors(r) == {
        "widgets.1.dataset.measures.0.field": "report.measure_type",
        "widgets.2.dataset.dimensions.0.bucket": "report.bucket_type",
    }
    assert c.get(D).json()["items"] == []
    board = c.post(D, json={"key": "b", "name": "B", "widgets": [BY_CHANNEL]}).json()
    r = c.put(
        f"{D}/{board['id']}", json={"key": "b", "name": "B", "widgets": widgets, "version": 1}
    )
    assert set(errors(r)) == {
        "widgets.1.dataset.measures.0.field",
        "widgets.2.dataset.dimensions.0.bucket",
    }
    assert len(c.get(f"{D}/{board['id']}").json()["widgets"]) == 1


@pytest.fixture
def member(services: Services, svc_client: TestClient) -> Iterator[TestClient]:
    """Rita reads every ticket, sees ``nps`` masked and not ``amount`` at all; she may not
    read the customers."""
    _, token = make_user(services, "rita")
    role = {
        "key": "tickets",
        "name": "工单",
        "members": ["rita"],
        "tables": [
            {
                "app": "svc",
                "table": "tickets",
                "actions": ["read"],
                "row_scope": "all",
                "fields": {"nps": "masked", "amount": "hidden"},
            }
        ],
    }
    assert svc_client.post("/api/v1/roles", json=role).status_code == 201
    headers = {"authorization": f"Bearer {token}", "accept-language": "en"}
    with TestClient(create_app(services), headers=headers) as c:
        yield c


def test_a_member_is_refused_what_they_may_not_read_with_the_reason(member: TestClient) -> None:
    # The table's definition the editor offers fields from leaves out the hidden field.
    # The one masked is listed as such (the editor leaves it out too).
    table = member.get("/api/v1/apps/svc/tables/tickets").json()
    fields = [f["key"] for f in table["fields"]]
    assert "amount" not in fields and "nps" in fields
    assert table["masked_fields"] == ["nps"]

    cases = [
        (dataset(measures=[{"agg": "avg", "field": "nps"}]), "widget.dataset.measures.0.field", "report.field_masked"),
        (dataset(dimensions=[{"field": "nps", "bin": 5}]), "widget.dataset.dimensions.0.field", "report.field_masked"),
        (dataset(filter={"field": "nps", "op": "gte", "value": 9}), "widget.dataset.filter.field", "report.field_masked"),
        (dataset(measures=[{"agg": "sum", "field": "amount"}]), "widget.dataset.measures.0.field", "field.unknown"),
        (dataset(dimensions=[{"field": "customer.province"}]), "widget.dataset.dimensions.0.field", "field.unknown"),
        ({"id": "w", "type": "bar", "dataset": {"table": "customers"}}, "widget.dataset.table", "report.table_denied"),
        ({"id": "w", "type": "number", "kpi": {"key": "nps", "params": {"table": "tickets", "score_field": "nps"}}}, "widget.kpi.params.score_field", "report.field_masked"),
    ]  # fmt: skip
    for widget, loc, code in cases:
        r = member.post(PREVIEW, json={"widget": widget})
        assert errors(r) == {loc: code}, widget
    r = member.post(PREVIEW, json={"widget": dataset(measures=[{"agg": "avg", "field": "nps"}])})
    assert r.json()["errors"][0]["message"] == (
        "You see 'nps' masked: reports cannot group, measure or filter by it."
    )
    r = member.post(PREVIEW, json={"widget": BY_CHANNEL})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["x_keys"] == ["phone", "web", "wechat"]


def test_a_read_only_token_previews_and_drills_but_does_not_save(
    services: Services, svc_client: TestClient
) -> None:
    token = svc_client.post("/api/v1/tokens", json={"name": "tv", "read_only": True}).json()
    headers = {"authorization": f"Bearer {token['token']}"}
    with TestClient(create_app(services), headers=headers) as tv:
        assert tv.post(PREVIEW, json={"widget": BY_CHANNEL}).status_code == 200
        body = {"widget": BY_CHANNEL, "points": [["phone", "service"]]}
        assert tv.post(f"{PREVIEW}/drill", json=body).status_code == 200
        r = tv.post(D, json={"key": "b", "name": "B", "widgets": [BY_CHANNEL]})
        assert r.status_code == 403
