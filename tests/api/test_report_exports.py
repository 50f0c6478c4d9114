"""Exports of datasets, pivots and dashboard widgets as XLSX and CSV, through HTTP."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from cairn.services import Services
from servicedata import make_service_app

REP = "/api/v1/apps/svc/reports"
D = "/api/v1/apps/svc/dashboards"
BY_CHANNEL = {"table": "tickets", "dimensions": [{"field": "channel"}], "measures": [{"agg": "count", "label": "工单数"}, {"agg": "sum", "field": "amount"}]}  # fmt: skip


@pytest.fixture
def svc_client(services: Services, client: TestClient) -> TestClient:
    make_service_app(services)
    return client


def test_dataset_as_csv(svc_client: TestClient) -> None:
    r = svc_client.post(f"{REP}/datasets/export", params={"format": "csv"}, json=BY_CHANNEL)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert 'filename="tickets.csv"' in r.headers["content-disposition"]
    text = r.content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [
        ["渠道", "工单数", "金额"],
        ["PHONE", "6", "610"],
        ["WEB", "3", "400"],
        ["WECHAT", "1", "50"],
    ]


def test_dataset_as_xlsx(svc_client: TestClient) -> None:
    r = svc_client.post(f"{REP}/datasets/export", json=BY_CHANNEL)
    assert r.status_code == 200, r.text
    ws = load_workbook(io.BytesIO(r.content)).active
    assert [list(row) for row in ws.iter_rows(values_only=True)] == [
        ["渠道", "工单数", "金额"],
        ["PHONE", 6, 610],
        ["WEB", 3, 400],
        ["WECHAT", 1, 50],
    ]


def test_formula_like_text_stays_text(svc_client: TestClient, services: Services) -> None:
    services.records.create("svc", "tickets", {"title": '=HYPERLINK("x")', "channel": "web"})
    spec = {
        "table": "tickets",
        "dimensions": [{"field": "title"}],
        "filter": {"field": "title", "op": "starts_with", "value": "="},
    }
    r = svc_client.post(f"{REP}/datasets/export", params={"format": "csv"}, json=spec)
    [_, row] = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert row == ['\'=HYPERLINK("x")', "1"]
    r = svc_client.post(f"{REP}/datasets/export", json=spec)
    ws = load_workbook(io.BytesIO(r.content)).active
    cell = ws.cell(row=2, column=1)
    assert (cell.value, cell.data_type) == ('=HYPERLINK("x")', "s")


def test_pivot_and_widget_exports(svc_client: TestClient) -> None:
    pivot = {
        "table": "tickets",
        "dimensions": [{"field": "channel"}],
        "columns": [{"field": "kind"}],
    }
    r = svc_client.post(f"{REP}/datasets/export", params={"format": "csv"}, json=pivot)
    assert list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")))) == [
        ["渠道", "COMPLAINT", "SERVICE"],
        ["PHONE", "1", "5"],
        ["WEB", "2", "1"],
        ["WECHAT", "", "1"],
    ]
    board = svc_client.post(
        D,
        json={
            "key": "b",
            "name": "B",
            "widgets": [
                {"id": "share", "type": "pie", "title": "渠道占比", "dataset": BY_CHANNEL},
                {"id": "nps", "type": "number", "kpi": {"key": "nps", "params": {"table": "tickets", "date_field": "opened_at", "score_field": "nps", "period": {"start": "2026-01-01", "end": "2026-01-31"}}}},
            ],
            "filters": [{"key": "channel", "type": "field", "field": "channel"}],
        },
    ).json()  # fmt: skip
    url = f"{D}/{board['id']}/widgets/share/export"
    r = svc_client.get(url, params={"format": "csv", "filters": '{"channel": ["web", "wechat"]}'})
    assert r.status_code == 200, r.text
    assert 'filename="b-share.csv"' in r.headers["content-disposition"]
    assert r.content.decode("utf-8-sig").splitlines()[1:] == ["WEB,3,400", "WECHAT,1,50"]
    r = svc_client.get(f"{D}/{board['id']}/widgets/nps/export")
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][0] == "nps"
    assert rows[1][1] == pytest.approx(100 / 7)
    assert svc_client.get(f"{D}/{board['id']}/widgets/nope/export").status_code == 404
    assert svc_client.get(url, params={"format": "pdf"}).status_code == 422
