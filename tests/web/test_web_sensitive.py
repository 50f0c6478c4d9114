"""The form designer marks a field sensitive (encrypted at rest); records still read in clear."""

from __future__ import annotations

from typing import Any

from webserver import Server


def test_mark_a_phone_field_sensitive(signed_in: Any, server: Server) -> None:
    app = "sensitive_ui"
    server.api("POST", "/api/v1/apps", {"key": app, "name": "加密测试"})
    server.api(
        "POST",
        f"/api/v1/apps/{app}/tables",
        {
            "key": "people",
            "name": "联系人",
            "fields": [
                {"key": "name", "name": "姓名", "type": "text", "required": True},
                {"key": "phone", "name": "手机号", "type": "phone"},
                {"key": "age", "name": "年龄", "type": "number"},
            ],
        },
    )
    records = f"/api/v1/apps/{app}/tables/people/records"
    server.api("POST", records, {"name": "甲", "phone": "13812345678"})
    page = signed_in
    page.goto(f"{server.url}/apps/{app}/tables/people/design")
    # A number field has no such switch.
    page.locator("[data-test=canvas-field][data-key=age]").click()
    page.locator("[data-test=field-name]").wait_for()
    assert page.locator("[data-test=field-sensitive]").count() == 0
    page.locator("[data-test=canvas-field][data-key=phone]").click()
    switch = page.locator("[data-test=field-sensitive]")
    switch.wait_for()
    assert "敏感（加密存储）" in page.locator("[data-test=settings]").inner_text()
    switch.click()
    page.locator("[data-test=save-field]").click()
    page.locator(".el-message--success").wait_for()
    fields = server.api("GET", f"/api/v1/apps/{app}/tables/people/fields")["items"]
    phone = next(f for f in fields if f["key"] == "phone")
    assert phone["options"].get("sensitive") is True
    [rec] = server.api("GET", records)["items"]
    assert rec["phone"] == "+8613812345678"
