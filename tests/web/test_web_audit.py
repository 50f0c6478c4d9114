"""The audit page reads as words: translated actions, the table and the record's title (also of
a deleted record), and a before/after table for changes, in zh-CN and en."""

from __future__ import annotations

from typing import Any

from ui import type_into
from webserver import Server

APP = "audit_words"
RECORDS = f"/api/v1/apps/{APP}/tables/clients/records"


def test_the_audit_page_shows_actions_tables_and_titles(
    signed_in: Any, server: Server, shoot: Any
) -> None:
    server.api("POST", "/api/v1/apps", {"key": APP, "name": "审计应用"})
    server.api(
        "POST",
        f"/api/v1/apps/{APP}/tables",
        {
            "key": "clients",
            "name": "审计客户表",
            "display_field": "name",
            "fields": [{"key": "name", "name": "名称", "type": "text"}],
        },
    )
    r = server.api("POST", RECORDS, {"name": "东方航校"})
    server.api("PATCH", f"{RECORDS}/{r['id']}", {"name": "东方航校（新）", "version": 1})
    server.api("DELETE", f"{RECORDS}/{r['id']}")

    page = signed_in
    page.goto(server.url + "/admin/audit")
    page.locator("[data-test=audit-table] .el-table__row").first.wait_for()
    type_into(page.locator("[data-test=audit-action]"), "record.update")
    page.locator("[data-test=audit-search]").click()
    row = page.locator("[data-test=audit-table] .el-table__row", has_text="审计客户表").first
    row.locator("[data-test=audit-action-text]", has_text="修改记录").wait_for()
    target = row.locator("[data-test=audit-target]").inner_text()
    # The record is deleted by now: its title still names it.
    assert "审计客户表" in target and "东方航校（新）" in target and "#" not in target
    assert "审计应用" in row.inner_text()
    row.locator(".el-table__expand-icon").click()
    diff = page.locator("[data-test=audit-diff]").first
    diff.wait_for()
    assert "东方航校" in diff.locator(".audit-before").first.inner_text()
    assert "东方航校（新）" in diff.locator(".audit-after").first.inner_text()
    shoot(page, "admin-audit-words")

    page.locator("[data-test=lang-switch]").click()
    page.locator("[data-test=lang-en]").click()
    row.locator("[data-test=audit-action-text]", has_text="Edited a record").wait_for()
    page.locator("[data-test=audit-diff] th", has_text="Before").first.wait_for()
    type_into(page.locator("[data-test=audit-action]"), "record.delete")
    page.locator("[data-test=audit-search]").click()
    deleted = page.locator("[data-test=audit-table] .el-table__row", has_text="Deleted a record")
    deleted.filter(has_text="东方航校（新）").first.wait_for()
    assert "审计客户表" in deleted.first.inner_text()
    shoot(page, "admin-audit-words")
    page.locator("[data-test=lang-switch]").click()
    page.locator("[data-test=lang-zh-CN]").click()
