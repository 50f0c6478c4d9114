"""Key field types in the browser: the designer's palette offers VIN, ID number and credit
code, the settings panel marks a field as an identity key, and a record form refuses a VIN
with a wrong check digit (before the API sees it) and stores a good one in canonical form."""

from __future__ import annotations

import re
from typing import Any

from ui import choose, field, type_into
from webserver import Server

APP = "keys_ui"


def test_palette_offers_key_types_and_a_form_refuses_a_bad_vin(
    signed_in: Any, server: Server
) -> None:
    server.api("POST", "/api/v1/apps", {"key": APP, "name": "身份标识"})
    server.api(
        "POST",
        f"/api/v1/apps/{APP}/tables",
        {
            "key": "cars",
            "name": "车辆",
            "fields": [{"key": "name", "name": "名称", "type": "text"}],
        },
    )
    page = signed_in
    page.goto(f"{server.url}/apps/{APP}/tables/cars/design")
    palette = page.locator("[data-test=palette]")
    for key, label in (
        ("vin", "车辆识别代号"),
        ("id_number", "身份证号"),
        ("credit_code", "统一社会信用代码"),
    ):
        assert palette.locator(f"[data-test=palette-{key}]").inner_text().strip() == label

    page.locator("[data-test=canvas-field][data-key=name]").wait_for()
    page.locator("[data-test=palette-vin]").click()
    settings = page.locator("[data-test=settings]")
    settings.locator("[data-test=field-name]").wait_for()
    type_into(settings.locator("[data-test=field-name]"), "车架号")
    type_into(settings.locator("[data-test=field-key]"), "vin")
    choose(page, settings.locator("[data-test=field-identity-key]"), "车辆识别代号")
    page.locator("[data-test=save-field]").click()
    page.locator(".el-message--success").first.wait_for()
    fields = server.api("GET", f"/api/v1/apps/{APP}/tables/cars/fields")["items"]
    vin = next(f for f in fields if f["key"] == "vin")
    assert (vin["type"], vin["options"].get("identity_key")) == ("vin", "vin")

    records = f"/api/v1/apps/{APP}/tables/cars/records"
    page.goto(f"{server.url}/apps/{APP}/tables/cars/records/new")
    field(page, "name").wait_for()
    type_into(field(page, "name"), "样车")
    type_into(field(page, "vin"), "LSVAG2180E2100001")  # position 9 should be 6
    page.locator("[data-test=save-record]").click()
    error = field(page, "vin").locator(".el-form-item__error")
    error.wait_for()
    assert "第 9 位应为 6" in error.inner_text()
    assert page.url.endswith("/records/new")
    assert server.api("GET", records)["items"] == []

    type_into(field(page, "vin"), "lsvag2186e2100001")
    page.locator("[data-test=save-record]").click()
    page.wait_for_url(re.compile(r".*/tables/cars/records/\d+$"))
    [rec] = server.api("GET", records)["items"]
    assert rec["vin"] == "LSVAG2186E2100001"
