"""Numbering rules through the API: a field with a pattern, the preview the settings editor
shows, refusals naming the option in the caller's language, and app packages keeping the
pattern (and leaving plain auto numbers as they were)."""

from __future__ import annotations

import yaml
from fastapi.testclient import TestClient

from cairn.core import FrozenClock

T = "/api/v1/apps/crm/tables"
PREVIEW = f"{T}/orders/fields/number-preview"
MONTHLY = {"pattern": "BJ-{YYYY}{MM}-{####}", "reset": "month"}


def test_a_field_with_a_pattern_numbers_records(crm: TestClient, frozen_clock: FrozenClock) -> None:
    r = crm.post(
        f"{T}/orders/fields",
        json={"key": "no", "name": "报价单号", "type": "auto_number", "options": MONTHLY},
    )
    assert r.status_code == 201, r.text
    assert r.json()["options"] == {"prefix": "", "digits": 6, "start": 1, **MONTHLY}
    r = crm.post(f"{T}/orders/records", json={"title": "a"})
    assert r.status_code == 201, r.text
    assert r.json()["no"] == "BJ-202601-0001"  # the clock stands at 2026-01-05
    r = crm.post(PREVIEW, json={"options": MONTHLY, "field": "no"})
    assert r.status_code == 200, r.text
    assert r.json() == {"next": "BJ-202601-0002", "period": "2026-01", "day": "2026-01-05"}
    assert crm.post(PREVIEW, json={"options": MONTHLY}).json()["next"] == "BJ-202601-0001"


def test_bad_patterns_get_422_naming_the_option(crm: TestClient) -> None:
    r = crm.post(
        f"{T}/orders/fields",
        json={"key": "no", "type": "auto_number", "options": {"pattern": "BJ-{YYYY}{MM}"}},
    )
    assert r.status_code == 422
    [err] = r.json()["errors"]
    assert err["field"] == "options.pattern"
    assert "exactly one counter" in err["message"]
    r = crm.post(
        PREVIEW,
        json={"options": {"pattern": "BJ-{YYYY}-{####}", "reset": "month"}},
        headers={"accept-language": "zh-CN"},
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {
            "field": "options.pattern",
            "code": "field.number_reset_month",
            "message": "流水号每月重新计数时，格式中须含年份（{YYYY} 或 {YY}）和 {MM}，否则编号会重复。",
        }
    ]
    r = crm.post(PREVIEW, json={"options": {"reset": "day"}})
    assert [e["field"] for e in r.json()["errors"]] == ["options.reset"]
    assert crm.post(PREVIEW, json={"options": MONTHLY, "field": "title"}).status_code == 404


def test_an_app_package_keeps_the_pattern(crm: TestClient) -> None:
    crm.post(
        f"{T}/orders/fields",
        json={"key": "no", "type": "auto_number", "options": {**MONTHLY, "start": 100}},
    )
    text = crm.get("/api/v1/apps/crm/export").text
    first = yaml.safe_load(text)
    fields = {f["key"]: f for t in first["tables"] for f in t["fields"]}
    assert fields["no"]["options"] == {"prefix": "", "digits": 6, "start": 100, **MONTHLY}
    # A plain auto number is exported as before: no pattern or reset keys.
    assert fields["customer_no"]["options"] == {"prefix": "C-", "digits": 5, "start": 1}
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
    r = crm.post("/api/v1/apps/copy/tables/orders/records", json={"title": "a"})
    assert r.json()["no"] == "BJ-202601-0100"
