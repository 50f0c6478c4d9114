"""Editing in the grid (inline, with validation), bulk delete, and a 409 conflict on the form."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from ui import choose, field, type_into
from webserver import Server

Q = "/api/v1/apps/{app}/tables/people/records"


@pytest.fixture
def people(server: Server, request: pytest.FixtureRequest) -> str:
    """An app with a table of people, made through the API (the UI that builds tables is
    covered in test_web_build_and_use)."""
    app = re.sub(r"[^a-z0-9]", "_", request.node.name.lower())[:40]
    server.api("POST", "/api/v1/apps", {"key": app, "name": "编辑测试"})
    server.api(
        "POST",
        f"/api/v1/apps/{app}/tables",
        {
            "key": "people",
            "name": "联系人",
            "display_field": "name",
            "fields": [
                {"key": "name", "name": "姓名", "type": "text", "required": True},
                {"key": "phone", "name": "手机号", "type": "phone"},
                {"key": "age", "name": "年龄", "type": "number", "options": {"min": 0}},
            ],
        },
    )
    server.api(
        "POST",
        Q.format(app=app) + "/bulk",
        {"records": [{"name": n, "age": a} for n, a in (("甲", 30), ("乙", 40), ("丙", 50))]},
    )
    return app


def rows(server: Server, app: str) -> list[dict[str, Any]]:
    return server.api("POST", Q.format(app=app) + "/query", {"sort": [{"field": "id"}]})["items"]


def test_inline_edit_checks_values_and_saves(signed_in: Any, server: Server, people: str) -> None:
    page = signed_in
    page.goto(f"{server.url}/apps/{people}/tables/people")
    cell = page.locator(".el-table-v2__row [data-field=phone]").first
    cell.dblclick()
    editor = page.locator(".inline-editor")
    type_into(editor, "12345")
    page.locator("[data-test=inline-save]").click()
    page.locator(".inline-error").wait_for()  # the server's message, shown in the cell
    assert rows(server, people)[0]["phone"] is None
    type_into(editor, "13812345678")
    page.keyboard.press("Enter")
    page.locator(".inline-editor").wait_for(state="detached")
    assert rows(server, people)[0]["phone"] == "+8613812345678"
    # A required value left empty is refused before the API is asked.
    page.locator(".el-table-v2__row [data-field=name]").first.dblclick()
    type_into(page.locator(".inline-editor"), "")
    page.locator("[data-test=inline-save]").click()
    page.locator(".inline-error", has_text="必填").wait_for()
    assert rows(server, people)[0]["name"] == "甲"
    page.keyboard.press("Escape")
    page.locator(".inline-editor").wait_for(state="detached")


def test_bulk_edit_and_delete_of_selected_rows(signed_in: Any, server: Server, people: str) -> None:
    page = signed_in
    page.goto(f"{server.url}/apps/{people}/tables/people")
    boxes = page.locator(".el-table-v2__row .select-cell .el-checkbox")
    boxes.first.wait_for()
    boxes.nth(0).click()
    boxes.nth(1).click()
    page.locator("[data-test=bulk-edit]").click()
    choose(page, page.locator("[data-test=bulk-field]"), "年龄")
    type_into(page.locator("[data-test=bulk-value]"), "60")
    page.locator("[data-test=bulk-apply]").click()
    page.locator(".el-message--success").wait_for()
    assert [r["age"] for r in rows(server, people)] == [60, 60, 50]
    boxes.nth(0).click()
    boxes.nth(1).click()
    page.locator("[data-test=bulk-delete]").click()
    page.locator(".el-message-box .el-button--primary").click()
    page.wait_for_function(
        "document.querySelectorAll('.el-table-v2__row [data-field=name]').length === 1"
    )
    assert [r["name"] for r in rows(server, people)] == ["丙"]


def test_a_conflict_shows_what_changed_and_reloads(
    signed_in: Any, server: Server, people: str
) -> None:
    page = signed_in
    first = rows(server, people)[0]
    page.goto(f"{server.url}/apps/{people}/tables/people/records/{first['id']}")
    field(page, "name").locator("input").wait_for()
    # Someone else saves first.
    server.api(
        "PATCH",
        Q.format(app=people) + f"/{first['id']}",
        {"age": 31, "version": first["version"]},
    )
    type_into(field(page, "name"), "甲甲")
    page.locator("[data-test=save-record]").click()
    table = page.locator("[data-test=conflict-table]")
    table.wait_for()
    assert "年龄" in table.inner_text() and "31" in table.inner_text()
    page.locator("[data-test=conflict-reload]").click()
    page.wait_for_function(
        "document.querySelector('.field-item[data-field=age] input')?.value === '31'"
    )
    assert field(page, "name").locator("input").input_value() == "甲"
    assert rows(server, people)[0]["name"] == "甲"


# A 1×1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5f5"
    "d8b40000000049454e44ae426082"
)


def test_attachments_upload_with_the_record(signed_in: Any, server: Server, people: str) -> None:
    page = signed_in
    server.api(
        "POST",
        f"/api/v1/apps/{people}/tables/people/fields",
        {
            "key": "photo",
            "name": "照片",
            "type": "attachment",
            "options": {"allowed_types": ["image/*"]},
        },
    )
    page.goto(f"{server.url}/apps/{people}/tables/people/records/new")
    type_into(field(page, "name"), "丁")
    field(page, "photo").locator("input[type=file]").set_input_files(
        files=[{"name": "face.png", "mimeType": "image/png", "buffer": PNG}]
    )
    field(page, "photo").locator(".attachment", has_text="face.png").wait_for()
    # A file of a type the field does not take is refused with the server's message.
    field(page, "photo").locator("input[type=file]").set_input_files(
        files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"}]
    )
    page.locator(".el-message--error").wait_for()
    page.locator("[data-test=save-record]").click()
    page.wait_for_url(re.compile(r".*/records/\d+$"))
    saved = next(r for r in rows(server, people) if r["name"] == "丁")
    assert [f["name"] for f in saved["photo"]] == ["face.png"]
    field(page, "photo").locator("img[alt='face.png']").wait_for()


def test_field_deletion_names_dependants_and_the_bin_restores(
    signed_in: Any, server: Server, people: str
) -> None:
    page = signed_in
    base = f"/api/v1/apps/{people}/tables"
    server.api("POST", base, {"key": "calls", "name": "通话", "fields": []})
    server.api(
        "POST",
        f"{base}/people/fields",
        {
            "key": "calls",
            "name": "通话记录",
            "type": "relation",
            "options": {"target_table": "calls", "reverse": {"key": "person", "name": "联系人"}},
        },
    )
    server.api(
        "POST",
        f"{base}/people/fields",
        {
            "key": "call_count",
            "name": "通话次数",
            "type": "rollup",
            "options": {"relation": "calls"},
        },
    )
    page.goto(f"{server.url}/apps/{people}/tables/people/design")
    page.locator("[data-test=canvas-field][data-key=calls]").click()
    page.locator("[data-test=delete-field]").click()
    box = page.locator(".el-message-box", has_text="通话记录")
    assert "通话次数" in box.inner_text() and "联系人" in box.inner_text()
    box.locator(".el-button--primary").click()
    box.wait_for(state="detached")
    # The server refuses while the rollup uses it, and says so.
    refusal = page.locator(".el-message-box", has_text="call_count")
    refusal.locator(".el-button--primary").click()
    refusal.wait_for(state="detached")
    assert "calls" in [f["key"] for f in server.api("GET", f"{base}/people")["fields"]]

    page.locator("[data-test=canvas-field][data-key=call_count]").click()
    page.locator("[data-test=delete-field]").click()
    page.locator(".el-message-box", has_text="通话次数").locator(".el-button--primary").click()
    page.locator("[data-test=canvas-field][data-key=call_count]").wait_for(state="detached")

    page.goto(f"{server.url}/apps/{people}/recycle-bin")
    page.locator("[data-test=restore-call_count]").click()
    page.locator(".el-message--success").wait_for()
    assert "call_count" in [f["key"] for f in server.api("GET", f"{base}/people")["fields"]]


def test_export_downloads_the_grid_as_shown(signed_in: Any, server: Server, people: str) -> None:
    """The export uses the grid's current sort and visible columns (remembered per table)."""
    import csv
    import io
    import json

    from openpyxl import load_workbook

    page = signed_in
    prefs = {
        "columns": [
            {"key": "name", "visible": True},
            {"key": "phone", "visible": False},
            {"key": "age", "visible": True},
        ],
        "sort": [{"field": "age", "direction": "desc"}],
        "filter": {"kind": "and", "items": []},
        "widths": {},
    }
    page.goto(f"{server.url}/")
    page.evaluate(
        "([k, v]) => localStorage.setItem(k, v)", [f"cairn.grid.{people}.people", json.dumps(prefs)]
    )
    page.goto(f"{server.url}/apps/{people}/tables/people")
    page.locator(".el-table-v2__row [data-field=name]").first.wait_for()
    for fmt in ("xlsx", "csv"):
        page.locator("[data-test=export-button]").click()
        dialog = page.locator("[data-test=export-dialog]")
        dialog.locator(f"[data-test=export-format-{fmt}]").click()
        with page.expect_download() as info:
            dialog.locator("[data-test=export-run]").click()
        download = info.value
        assert download.suggested_filename == f"people.{fmt}"
        data = Path(download.path()).read_bytes()
        if fmt == "xlsx":
            rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
        else:
            rows = [tuple(r) for r in csv.reader(io.StringIO(data.decode("utf-8-sig")))]
        head = list(rows[0])
        assert head == ["姓名", "年龄"]  # the visible columns, by field name
        assert [r[head.index("姓名")] for r in rows[1:]] == ["丙", "乙", "甲"]
        dialog.wait_for(state="hidden")


def test_a_user_field_is_picked_and_shown_by_name(
    signed_in: Any, server: Server, people: str, shoot: Any
) -> None:
    """A user field: chosen by typing a name, shown by name in the form and in the grid."""
    page = signed_in
    for username, name in (("zhou_min", "周敏"), ("zhou_jie", "周杰"), ("li_lei", "李雷")):
        server.api("POST", "/api/v1/users", {"username": username, "display_name": name})
    server.api(
        "POST",
        f"/api/v1/apps/{people}/tables/people/fields",
        {"key": "account_manager", "name": "客户经理", "type": "user"},
    )
    first = rows(server, people)[0]
    page.goto(f"{server.url}/apps/{people}/tables/people/records/{first['id']}")
    picker = field(page, "account_manager").locator("[data-test=user-picker]")
    picker.locator(".el-select__wrapper").click()
    page.keyboard.type("周")
    page.wait_for_function(  # the server's matches for "周" replaced the first list
        "(() => { const shown = [...document.querySelectorAll('.el-select-dropdown__item')]"
        ".filter((e) => e.offsetParent).map((e) => e.innerText);"
        " return shown.some((t) => t.includes('周杰')) && !shown.some((t) => t.includes('李雷')) })()"
    )
    page.locator(".el-select-dropdown__item:visible", has_text="周杰").click()
    page.locator("[data-test=save-record]").click()
    page.locator(".el-message--success").wait_for()
    jie = next(
        u for u in server.api("GET", "/api/v1/users")["items"] if u["username"] == "zhou_jie"
    )
    assert rows(server, people)[0]["account_manager"] == jie["id"]
    page.reload()
    field(page, "account_manager").get_by_text("周杰 (@zhou_jie)").wait_for()
    shoot(page, "user-field-form")
    page.goto(f"{server.url}/apps/{people}/tables/people")
    page.wait_for_function(  # the name comes with the other cells' in one lookup
        "document.querySelector('.el-table-v2__row [data-field=account_manager]"
        " [data-test=user-name]')?.innerText === '周杰'"
    )
    names = page.locator(".el-table-v2__row [data-field=account_manager] [data-test=user-name]")
    assert names.count() == 1  # the other rows have no account manager
    shoot(page, "user-field-grid")
    # A filter on the field: "is any of" members picked by name.
    page.locator("[data-test=filter-button]").click()
    page.locator("[data-test=add-condition]").click()
    row = page.locator("[data-test=filter-row]").first
    choose(page, row.locator("[data-test=filter-field]"), "客户经理")
    choose(page, row.locator("[data-test=filter-op]"), "是其中之一")
    row.locator("[data-test=user-picker] .el-select__wrapper").click()
    page.keyboard.type("zhou")
    for name in ("周杰", "周敏"):
        item = page.locator(".el-select-dropdown__item:visible", has_text=name)
        item.wait_for()
        item.click()
    page.locator("[data-test=filter-panel]").click(position={"x": 4, "y": 4})  # list closes
    shoot(page, "user-field-filter-panel")
    page.locator("[data-test=apply-filter]").click()
    page.wait_for_function(
        "document.querySelectorAll('.el-table-v2__row [data-field=name]').length === 1"
    )
    assert page.locator("[data-test=record-count]").inner_text() == "共 1 条"
    shoot(page, "user-field-filter")


def names_shown(page: Any) -> list[str]:
    return page.locator(".el-table-v2__row [data-field=name]").all_inner_texts()


def wait_for_names(page: Any, names: list[str]) -> None:
    page.wait_for_function(
        "(want) => JSON.stringify([...document.querySelectorAll("
        "'.el-table-v2__row [data-field=name]')].map((e) => e.innerText)) === want",
        arg=json.dumps(names, ensure_ascii=False, separators=(",", ":")),
    )


def test_a_saved_view_brings_back_its_filter_sort_and_columns(
    signed_in: Any, server: Server, people: str, shoot: Any
) -> None:
    page = signed_in
    page.goto(f"{server.url}/apps/{people}/tables/people")
    wait_for_names(page, ["甲", "乙", "丙"])
    # Filter (age over 35), sort (age, oldest first), hide the phone column.
    page.locator("[data-test=filter-button]").click()
    page.locator("[data-test=add-condition]").click()
    row = page.locator("[data-test=filter-row]").first
    choose(page, row.locator("[data-test=filter-field]"), "年龄")
    choose(page, row.locator("[data-test=filter-op]"), "大于")
    type_into(row.locator("[data-test=filter-value]"), "35")
    page.locator("[data-test=apply-filter]").click()
    page.locator("[data-test=sort-button]").click()
    page.locator("[data-test=add-sort]").click()
    choose(page, page.locator("[data-test=sort-row]").first, "年龄")
    page.locator("[data-test=sort-row] [data-test=sort-desc]").first.click()
    page.locator("[data-test=apply-sort]").click()
    page.locator("[data-test=columns-button]").click()
    page.locator("[data-test=col-phone]").click()
    page.keyboard.press("Escape")
    wait_for_names(page, ["丙", "乙"])
    # Saved as a view of one's own.
    page.locator("[data-test=views-button]").click()
    page.locator("[data-test=view-save]").click()
    type_into(page.locator("[data-test=view-name]"), "年长客户")
    assert page.locator("[data-test=view-shared]").is_visible()  # an administrator may share
    page.locator("[data-test=view-save-confirm]").click()
    page.locator("[data-test=views-button]", has_text="年长客户").wait_for()
    (view,) = server.api("GET", f"/api/v1/apps/{people}/tables/people/views")["items"]
    assert view["name"] == "年长客户" and not view["shared"]
    assert view["config"]["sort"] == [{"field": "age", "direction": "desc"}]
    assert {"key": "phone", "visible": False} in view["config"]["columns"]
    shoot(page, "grid-view-saved")
    # "All records" clears it; picking the view brings it all back, after a reload too.
    page.locator("[data-test=views-button]").click()
    page.locator("[data-test=view-all]").click()
    wait_for_names(page, ["甲", "乙", "丙"])
    assert page.locator(".el-table-v2__header-cell", has_text="手机号").count() == 1
    page.locator("[data-test=views-button]").click()
    page.locator("[data-test=view-item]", has_text="年长客户").click()
    wait_for_names(page, ["丙", "乙"])
    page.reload()
    wait_for_names(page, ["丙", "乙"])
    page.locator("[data-test=views-button]", has_text="年长客户").wait_for()
    assert page.locator(".el-table-v2__header-cell", has_text="手机号").count() == 0
    # Deleted, after a confirmation.
    page.locator("[data-test=views-button]").click()
    page.locator("[data-test=view-delete]").click()
    page.locator(".el-message-box__btns .el-button--primary").click()
    page.locator("[data-test=views-button]", has_text="全部记录").wait_for()
    assert server.api("GET", f"/api/v1/apps/{people}/tables/people/views")["items"] == []
