"""Record exports (CSV and XLSX): the header row names the columns as people read them (field
names; system columns by their label in the caller's language), and holds the system columns
only when they were asked for."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from factories import CUSTOMER_FIELDS

C = "/api/v1/apps/crm/tables/customers/records"
#: The customers table's field names, in order (the reverse relation "orders" last).
NAMES = [f["name"] for f in CUSTOMER_FIELDS] + ["订单"]
SYSTEM = {
    "zh-CN": {"id": "ID", "version": "版本", "created_at": "创建时间", "updated_at": "更新时间"},
    "en": {
        "id": "ID",
        "version": "Version",
        "created_at": "Created at",
        "updated_at": "Updated at",
    },
}


def _rows(r: Any, fmt: str) -> list[list[Any]]:
    assert r.status_code == 200, r.text
    if fmt == "csv":
        assert r.content.startswith("\ufeff".encode())
        return [list(row) for row in csv.reader(io.StringIO(r.content.decode("utf-8-sig")))]
    sheet = load_workbook(io.BytesIO(r.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def two(crm: TestClient) -> TestClient:
    r = crm.post(
        f"{C}/bulk",
        json={"records": [{"name": "华东通航", "tier": "VIP"}, {"name": "蓝天航校"}]},
    )
    assert r.status_code == 201, r.text
    return crm


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_headers_are_field_names_without_system_columns(
    two: TestClient, fmt: str, lang: str
) -> None:
    r = two.post(f"{C}/export", json={"format": fmt}, headers={"accept-language": lang})
    rows = _rows(r, fmt)
    assert rows[0] == NAMES
    assert len(rows) == 3
    assert {row[0] for row in rows[1:]} == {"华东通航", "蓝天航校"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_chosen_columns_in_the_chosen_order_system_columns_translated(
    two: TestClient, fmt: str, lang: str
) -> None:
    fields = ["tier", "id", "name", "created_at", "version", "updated_at"]
    r = two.post(
        f"{C}/export",
        json={"format": fmt, "fields": fields, "sort": [{"field": "name", "direction": "asc"}]},
        headers={"accept-language": lang},
    )
    rows = _rows(r, fmt)
    labels = SYSTEM[lang]
    assert rows[0] == [
        "等级",
        labels["id"],
        "客户名称",
        labels["created_at"],
        labels["version"],
        labels["updated_at"],
    ]
    records = {x["name"]: x for x in two.get(C).json()["items"]}
    first = rows[1]
    assert first[2] == "华东通航" and first[0] == "VIP"
    assert str(first[1]) == str(records["华东通航"]["id"])
    assert str(first[4]) == "1"
    assert str(first[3]) == records["华东通航"]["created_at"]


def test_a_column_asked_twice_is_written_once(two: TestClient) -> None:
    r = two.post(f"{C}/export", json={"fields": ["name", "name", "id", "id"]})
    assert _rows(r, "csv")[0] == ["客户名称", "ID"]


def test_an_export_with_no_matching_records_still_has_its_header(two: TestClient) -> None:
    r = two.post(
        f"{C}/export",
        json={"fields": ["name", "tier"], "filter": {"field": "name", "op": "eq", "value": "无"}},
        headers={"accept-language": "en"},
    )
    assert _rows(r, "csv") == [["客户名称", "等级"]]


def test_an_unknown_column_is_refused_and_nothing_is_audited(two: TestClient) -> None:
    before = two.get("/api/v1/audit", params={"action": "record.export"}).json()["items"]
    r = two.post(
        f"{C}/export", json={"fields": ["name", "nope"]}, headers={"accept-language": "zh-CN"}
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "nope" in r.text
    after = two.get("/api/v1/audit", params={"action": "record.export"}).json()["items"]
    assert after == before
