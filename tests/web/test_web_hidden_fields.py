"""A member from whom a role hides a field works with the table as if it had none: the grid's
columns, the column chooser, the filter's fields and the record form leave it out (a section of
the form holding only it too), the record saves (a field masked for them, unchanged, is
neither checked nor sent back); and the saved-view menu offers them no
shared-view controls (share, update or delete a shared view), which only the table's managers
may use."""

from __future__ import annotations

from typing import Any

import pytest
from webserver import Server

APP = "hidden_ui"
TABLE = f"/api/v1/apps/{APP}/tables/accounts"
MEMBER = ("hidden_member", "Hidden2024check")
HIDDEN = "内部评分"  # the hidden field's name: shown nowhere to the member


def _ensure_world(server: Server) -> int:
    """An app with one table (a field hidden from the member, a form layout), a record, a shared
    view, and the member with a role reading and updating it (once per server). The record's id."""
    apps = {a["key"] for a in server.api("GET", "/api/v1/apps")["items"]}
    if APP not in apps:
        server.api("POST", "/api/v1/apps", {"key": APP, "name": "隐藏字段"})
        server.api(
            "POST",
            f"/api/v1/apps/{APP}/tables",
            {
                "key": "accounts",
                "name": "账户",
                "fields": [
                    {"key": "name", "name": "名称", "type": "text", "required": True},
                    {"key": "score", "name": HIDDEN, "type": "number"},
                    {"key": "phone", "name": "手机号", "type": "phone"},
                    {"key": "notes", "name": "备注", "type": "text"},
                ],
            },
        )
        layout = {
            "sections": [
                {"title": "基本", "rows": [["name"], ["phone", "notes"]]},
                {"title": "评分区", "rows": [["score"]]},
            ]
        }
        server.api("PUT", f"{TABLE}/layout", layout)
        server.api(
            "POST", f"{TABLE}/records", {"name": "甲公司", "score": 88, "phone": "13812345678"}
        )
        server.api(
            "POST",
            f"{TABLE}/views",
            {"name": "全部共享", "shared": True, "config": {"filter": None, "sort": None}},
        )
        server.api("POST", "/api/v1/users", {"username": MEMBER[0], "password": MEMBER[1]})
        server.api(
            "POST",
            "/api/v1/roles",
            {
                "key": "hidden_ui_ru",
                "name": "账户维护",
                "tables": [
                    {
                        "app": APP,
                        "table": "accounts",
                        "actions": ["read", "update"],
                        "fields": {"score": "hidden", "phone": "masked"},
                    }
                ],
                "members": [MEMBER[0]],
            },
        )
    return server.api("GET", f"{TABLE}/records")["items"][0]["id"]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_hidden_field_is_nowhere_and_shared_views_are_not_theirs_to_change(
    browser: Any, server: Server, shoot: Any, lang: str
) -> None:
    rid = _ensure_world(server)
    context = browser.new_context(locale=lang, viewport={"width": 1440, "height": 900})
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.set_default_timeout(15_000)
        page.goto(server.url + "/sign-in")
        page.locator("input[name=username]").fill(MEMBER[0])
        page.locator("input[name=password]").fill(MEMBER[1])
        page.locator("[data-test=sign-in]").click()
        page.locator(f"[data-test=app-{APP}]").wait_for()

        # The grid: no column for the hidden field, nor in the column chooser.
        page.goto(f"{server.url}/apps/{APP}/tables/accounts")
        page.locator(".el-table-v2__row").first.wait_for()
        page.locator("[data-test=th-name]").wait_for()
        assert page.locator("[data-test=th-phone]").count() == 1
        assert page.locator("[data-test=th-score]").count() == 0
        page.locator("[data-test=columns-button]").click()
        page.locator("[data-test=col-name]").wait_for()
        assert page.locator("[data-test=col-score]").count() == 0
        page.keyboard.press("Escape")

        # The filter offers the fields they may filter on, not the hidden one.
        page.locator("[data-test=filter-button]").click()
        page.locator("[data-test=add-condition]").click()
        page.locator("[data-test=filter-field]").first.click()
        options = page.locator(".el-select-dropdown__item:visible")
        options.first.wait_for()
        assert HIDDEN not in options.all_inner_texts()
        assert "名称" in options.all_inner_texts()
        shoot(page, "hidden-field-filter")
        page.keyboard.press("Escape")

        # Shared views: listed and usable, but not theirs to share, update or delete.
        page.goto(f"{server.url}/apps/{APP}/tables/accounts")
        page.locator(".el-table-v2__row").first.wait_for()
        page.locator("[data-test=views-button]").click()
        page.locator("[data-test=view-item]", has_text="全部共享").click()
        page.locator("[data-test=views-button]", has_text="全部共享").wait_for()
        page.locator("[data-test=views-button]").click()
        page.locator("[data-test=view-save]").wait_for()
        assert page.locator("[data-test=view-update]:visible").count() == 0
        assert page.locator("[data-test=view-delete]:visible").count() == 0
        shoot(page, "shared-view-member")
        page.locator("[data-test=view-save]").click()
        page.locator("[data-test=view-name]").wait_for()
        assert page.locator("[data-test=view-shared]").count() == 0
        page.keyboard.press("Escape")

        # The record form: no input and no section for the hidden field; it saves.
        page.goto(f"{server.url}/apps/{APP}/tables/accounts/records/{rid}")
        page.locator("[data-test=record-title]").wait_for()
        form = page.locator(".record-form")
        form.locator("[data-field=name]").wait_for()
        page.wait_for_function("!document.querySelector('[data-test=save-record]').disabled")
        assert form.locator("[data-field=score]").count() == 0
        assert HIDDEN not in form.inner_text()
        titles = page.locator("[data-test=form-section-name]").all_inner_texts()
        assert titles == ["基本"]
        form.locator("[data-field=notes] input").fill(f"跟进 {lang}")
        page.locator("[data-test=save-record]").click()
        page.locator(".el-message--success").wait_for()
        shoot(page, "hidden-field-record")
        saved = server.api("GET", f"{TABLE}/records/{rid}")
        assert saved["notes"] == f"跟进 {lang}" and saved["score"] == 88
        # The masked phone they were shown (138****5678) was neither checked nor sent back.
        assert saved["phone"] == "+8613812345678"
        assert errors == []
    finally:
        context.close()


def test_the_tables_manager_is_offered_the_shared_view_controls(
    signed_in: Any, server: Server
) -> None:
    """The control of the member's test: an administrator gets the column, the shared view's
    update and delete, and the share switch."""
    _ensure_world(server)
    page = signed_in
    page.goto(f"{server.url}/apps/{APP}/tables/accounts")
    page.locator(".el-table-v2__row").first.wait_for()
    page.locator("[data-test=th-score]").wait_for()
    page.locator("[data-test=views-button]").click()
    page.locator("[data-test=view-item]", has_text="全部共享").click()
    page.locator("[data-test=views-button]", has_text="全部共享").wait_for()
    page.locator("[data-test=views-button]").click()
    page.locator("[data-test=view-update]:visible").wait_for()
    assert page.locator("[data-test=view-delete]:visible").count() == 1
    page.locator("[data-test=view-save]").click()
    page.locator("[data-test=view-shared]").wait_for()
