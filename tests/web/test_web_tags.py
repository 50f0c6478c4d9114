"""Tags in the browser (issue 22): an app manager creates tags on the tags page (name, colour
swatch, group), tags a record from its page with the "+ Tag" picker and takes one off, then
filters the grid by tag (has any of) and tags the selected rows in bulk; deleting a tag says how
many records carry it. Screenshots on a desktop and a phone, in zh-CN and en."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from ui import choose, open_as, type_into, wait_until
from webserver import Server

NAMES = ["甲公司", "乙公司", "丙公司"]


@pytest.fixture
def shop(server: Server, request: pytest.FixtureRequest) -> tuple[str, list[int]]:
    app = "tags_" + re.sub(r"[^a-z0-9]", "_", request.node.name.lower())[-20:]
    server.api("POST", "/api/v1/apps", {"key": app, "name": "标签客户"})
    fields = [{"key": "name", "name": "客户名称", "type": "text", "required": True}]
    server.api(
        "POST",
        f"/api/v1/apps/{app}/tables",
        {"key": "customers", "name": "客户", "display_field": "name", "fields": fields},
    )
    base = f"/api/v1/apps/{app}/tables/customers/records"
    ids = [server.api("POST", base, {"name": n})["id"] for n in NAMES]
    return app, ids


def new_tag(page: Any, name: str, colour: str, group: str) -> None:
    page.locator("[data-test=new-tag]").first.click()
    dialog = page.locator(".el-dialog:visible")
    type_into(dialog.locator("[data-test=tag-name]"), name)
    dialog.locator(f"[data-test=swatch-{colour}]").click()
    type_into(dialog.locator("[data-test=tag-group]"), group)
    dialog.locator("[data-test=save-tag]").click()
    expect(page.locator(f"[data-test=tag-row][data-name='{name}']")).to_be_visible()


def record_tags(server: Server, app: str, rid: int) -> list[str]:
    got = server.api("GET", f"/api/v1/apps/{app}/tables/customers/records/{rid}/tags")
    return [t["name"] for t in got["items"]]


def test_create_tags_tag_a_record_and_filter_the_grid_by_tag(
    signed_in: Any, server: Server, shop: tuple[str, list[int]], shoot: Callable[[Any, str], Path]
) -> None:
    page = signed_in
    app, ids = shop
    # -- the tags page: reached from the sidebar -----------------------------------------------
    page.goto(f"{server.url}/apps/{app}")
    page.locator("[data-test=menu-tags]").click()
    page.wait_for_url(f"**/apps/{app}/tags")
    new_tag(page, "VIP", "gold", "价值")
    new_tag(page, "沉睡", "gray", "活跃度")
    new_tag(page, "华东", "blue", "地区")
    vocabulary = server.api("GET", f"/api/v1/apps/{app}/tags")["items"]
    assert {(t["name"], t["colour"], t["group"]) for t in vocabulary} == {
        ("VIP", "gold", "价值"),
        ("沉睡", "gray", "活跃度"),
        ("华东", "blue", "地区"),
    }
    # A duplicate name is refused next to the name.
    page.locator("[data-test=new-tag]").first.click()
    dialog = page.locator(".el-dialog:visible")
    type_into(dialog.locator("[data-test=tag-name]"), "VIP")
    dialog.locator("[data-test=save-tag]").click()
    expect(dialog.locator(".el-form-item__error")).to_contain_text("VIP")
    dialog.get_by_role("button", name="取消").click()
    shoot(page, "tags-admin")

    # -- a record's page: + Tag, pick, × ------------------------------------------------------
    page.goto(f"{server.url}/apps/{app}/tables/customers/records/{ids[0]}")
    bar = page.locator("[data-test=tag-bar]")
    for name in ("VIP", "华东"):
        bar.locator("[data-test=tag-add]").click()
        page.locator(f"[data-test=tag-pick-{name}]:visible").click()
        expect(bar.locator("[data-test=tag-chip]", has_text=name)).to_be_visible()
    wait_until(lambda: record_tags(server, app, ids[0]) == ["VIP", "华东"], "the tags saved")
    bar.locator("[data-test=tag-chip]", has_text="华东").locator(".el-tag__close").click()
    wait_until(lambda: record_tags(server, app, ids[0]) == ["VIP"], "the tag taken off")
    bar.locator("[data-test=tag-add]").click()
    expect(page.locator("[data-test=tag-picker]:visible")).to_be_visible()
    shoot(page, "tags-record")
    page.keyboard.press("Escape")

    # -- the grid: filter by tag, then tag the selected rows in bulk ----------------------------
    server.api("PUT", f"/api/v1/apps/{app}/tables/customers/records/{ids[2]}/tags", {"tags": []})
    page.goto(f"{server.url}/apps/{app}/tables/customers")
    page.locator("[data-test=filter-button]").click()
    page.locator("[data-test=add-condition]").click()
    row = page.locator("[data-test=filter-row]").first
    choose(page, row.locator("[data-test=filter-field]"), "标签")
    choose(page, row.locator("[data-test=filter-value]"), "VIP")
    page.keyboard.press("Escape")
    shoot(page, "tags-filter")
    page.locator("[data-test=apply-filter]").click()
    page.wait_for_function(
        "document.querySelectorAll('.el-table-v2__row [data-field=name]').length === 1"
    )
    assert page.locator(".el-table-v2__row [data-field=name]").all_inner_texts() == ["甲公司"]

    # -- deleting a tag says how many records carry it -----------------------------------------
    page.goto(f"{server.url}/apps/{app}/tags")
    page.locator("[data-test=tag-row][data-name='VIP'] [data-test=delete-tag]").click()
    box = page.locator(".el-message-box:visible")
    expect(box).to_contain_text("1 条记录")
    box.get_by_role("button", name="取消").click()


def test_bulk_tagging_and_the_phone_and_english_layouts(
    signed_in: Any, server: Server, shop: tuple[str, list[int]], shoot: Callable[[Any, str], Path]
) -> None:
    page = signed_in
    app, ids = shop
    vip = server.api("POST", f"/api/v1/apps/{app}/tags", {"name": "VIP", "colour": "gold"})["id"]
    server.api(
        "POST",
        f"/api/v1/apps/{app}/tags",
        {"name": "Dormant", "colour": "gray", "group": "Activity"},
    )
    page.goto(f"{server.url}/apps/{app}/tables/customers")
    page.locator(".el-table-v2__row .el-checkbox").first.wait_for()
    for box in page.locator(".el-table-v2__row .el-checkbox").all()[:2]:
        box.click()
    page.locator("[data-test=bulk-tags]").click()
    dialog = page.locator(".el-dialog:visible")
    choose(page, dialog.locator("[data-test=bulk-tags-add]"), "VIP")
    page.keyboard.press("Escape")
    dialog.locator("[data-test=bulk-tags-apply]").click()
    wait_until(
        lambda: sum("VIP" in record_tags(server, app, i) for i in ids) == 2, "two records tagged"
    )
    assert vip
    for size, lang in (((390, 844), "en"), ((390, 844), "zh-CN"), ((1440, 900), "en")):
        open_as(page, f"{server.url}/apps/{app}/tables/customers/records/{ids[0]}", size, lang)
        page.locator("[data-test=tag-bar] [data-test=tag-chip]").first.wait_for()
        shoot(page, "tags-record-page")
        open_as(page, f"{server.url}/apps/{app}/tags", size, lang)
        page.locator("[data-test=tag-row]").first.wait_for()
        shoot(page, "tags-admin-page")


def test_a_rule_adds_tags_and_an_import_fills_them(
    signed_in: Any,
    server: Server,
    shop: tuple[str, list[int]],
    tmp_path: Path,
    shoot: Callable[[Any, str], Path],
) -> None:
    page = signed_in
    app, _ = shop
    vip = server.api("POST", f"/api/v1/apps/{app}/tags", {"name": "VIP", "colour": "gold"})["id"]
    # -- the rule builder: "when a record is created, add the tag VIP" --------------------------
    page.goto(f"{server.url}/apps/{app}/rules/new?table=customers")
    page.locator("[data-test=rule-builder] [data-test=trigger-form]").wait_for()
    type_into(page.locator("[data-test=rule-name]"), "新客户打标签")
    choose(page, page.locator("[data-test=trigger-type]"), "新建记录时")
    page.locator("[data-test=action-add]").click()
    page.locator(".el-dropdown-menu__item[data-test=add-add_tag]:visible").click()
    card = page.locator("[data-test=action-card]").first
    choose(page, card.locator("[data-test=tag-action-0]"), "VIP")
    page.keyboard.press("Escape")
    shoot(page, "tags-rule-action")
    page.locator("[data-test=save-rule]").click()
    page.wait_for_url(re.compile(r"/rules/\d+"))
    rid = re.search(r"/rules/(\d+)", page.url).group(1)  # type: ignore[union-attr]
    saved = server.api("GET", f"/api/v1/apps/{app}/rules/{rid}")
    assert [(a["type"], a["tags"]) for a in saved["actions"]] == [("add_tag", [vip])]
    created = server.api(
        "POST", f"/api/v1/apps/{app}/tables/customers/records", {"name": "新客户"}
    )["id"]
    wait_until(lambda: record_tags(server, app, created) == ["VIP"], "the rule's tag")

    # -- the import wizard: a 标签 column, with "create missing tags" -------------------------
    path = tmp_path / "客户.csv"
    path.write_text("客户名称,标签\n导入一,VIP、华南\n", encoding="utf-8")
    page.goto(f"{server.url}/apps/{app}/tables/customers/import")
    page.locator("[data-test=import-drop] input[type=file]").set_input_files(str(path))
    page.locator("[data-test=import-mapping]").wait_for()
    assert page.locator("[data-test=import-field-1]").inner_text().strip() == "标签"
    page.locator("[data-test=import-next]").click()
    page.locator("[data-test=import-create-tags]").click()
    shoot(page, "tags-import-options")
    page.locator("[data-test=import-dry-run]").click()
    page.locator("[data-test=import-run]").click(timeout=60_000)
    page.locator("[data-test=import-done]").wait_for(timeout=60_000)
    rows = server.api(
        "POST",
        f"/api/v1/apps/{app}/tables/customers/records/query",
        {"filter": {"field": "name", "op": "eq", "value": "导入一"}},
    )["items"]
    assert sorted(record_tags(server, app, rows[0]["id"])) == ["VIP", "华南"]
