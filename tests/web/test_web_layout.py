"""The form layout: built in the designer by dragging (sections, a 2-column row), kept after a
reload, and shown by the record form side by side on a desktop and stacked on a phone."""

from __future__ import annotations

import re
from typing import Any

import pytest
from ui import drag_into, field, type_into
from webserver import Server

APP = "layout_demo"
T = f"/api/v1/apps/{APP}/tables/contacts"


def make_contacts(server: Server, app: str) -> None:
    """A table of contacts, made through the API (building tables in the UI is covered in
    test_web_build_and_use)."""
    server.api("POST", "/api/v1/apps", {"key": app, "name": "布局测试"})
    server.api(
        "POST",
        f"/api/v1/apps/{app}/tables",
        {
            "key": "contacts",
            "name": "联系人",
            "display_field": "name",
            "fields": [
                {"key": "name", "name": "姓名", "type": "text", "required": True},
                {"key": "phone", "name": "手机号", "type": "phone"},
                {"key": "email", "name": "邮箱", "type": "email"},
                {"key": "city", "name": "城市", "type": "text"},
                {"key": "note", "name": "备注", "type": "long_text"},
            ],
        },
    )


@pytest.fixture
def contacts(server: Server) -> str:
    make_contacts(server, APP)
    return APP


def card(page: Any, key: str) -> Any:
    return page.locator(f"[data-test=canvas-field][data-key={key}]")


def saved(server: Server) -> tuple[Any, list[str]]:
    """The layout the API holds, and the order of the fields (the grid's columns)."""
    layout = server.api("GET", f"{T}/layout")["layout"]
    return layout, [f["key"] for f in server.api("GET", T)["fields"]]


def wait_until_saved(page: Any, server: Server, expected: tuple[Any, list[str]]) -> None:
    """Once the designer's saves have gone through (they follow each drop)."""
    page.wait_for_load_state("networkidle")
    for _ in range(50):
        if saved(server) == expected:
            return
        page.wait_for_timeout(100)
    assert saved(server) == expected


def test_build_a_layout_by_dragging_and_use_it(
    signed_in: Any, server: Server, contacts: str, shoot: Any
) -> None:
    page = signed_in
    page.goto(f"{server.url}/apps/{APP}/tables/contacts/design")
    card(page, "note").wait_for()
    sections = page.locator("[data-test=layout-section]")
    assert sections.count() == 1
    # The name row gets two columns; the phone field is dragged into its empty cell.
    name_row = page.locator("[data-test=layout-row]", has=card(page, "name"))
    name_row.locator("[data-test=cols-2]").click()
    slot = name_row.locator("[data-test=layout-slot]")
    slot.wait_for()
    drag_into(page, card(page, "phone"), slot, into=name_row.locator(".layout-cells"))
    name_row.locator("[data-test=canvas-field][data-key=phone]").wait_for()
    # A second section, renamed, and the city and note fields dragged into it.
    page.locator("[data-test=add-section]").click()
    assert sections.count() == 2
    title = sections.nth(1).locator("[data-test=section-title]")
    title.fill("地址与备注")
    title.press("Enter")
    drag_into(page, card(page, "city"), sections.nth(1).locator("[data-test=section-drop]"))
    sections.nth(1).locator("[data-test=canvas-field][data-key=city]").wait_for()
    drag_into(page, card(page, "note"), sections.nth(1).locator("[data-test=section-drop]"))
    sections.nth(1).locator("[data-test=canvas-field][data-key=note]").wait_for()
    expected = {
        "sections": [
            {"title": "", "collapsed": False, "rows": [["name", "phone"], ["email"]]},
            {"title": "地址与备注", "collapsed": False, "rows": [["city"], ["note"]]},
        ]
    }
    # The grid's columns follow the form's reading order.
    wait_until_saved(page, server, (expected, ["name", "phone", "email", "city", "note"]))
    shoot(page, "layout-designer")

    # Sections move down and up, their rows with them (and the grid's columns follow).
    assert sections.nth(0).locator("[data-test=section-up]").count() == 0
    sections.nth(0).locator("[data-test=section-down]").click()
    swapped = {"sections": expected["sections"][::-1]}
    wait_until_saved(page, server, (swapped, ["city", "note", "name", "phone", "email"]))
    assert sections.nth(0).locator("[data-test=section-title]").input_value() == "地址与备注"
    shoot(page, "layout-sections-moved")
    sections.nth(1).locator("[data-test=section-up]").click()
    wait_until_saved(page, server, (expected, ["name", "phone", "email", "city", "note"]))

    # Kept after a reload.
    page.reload()
    card(page, "note").wait_for()
    assert sections.count() == 2
    assert sections.nth(1).locator("[data-test=section-title]").input_value() == "地址与备注"
    row = page.locator("[data-test=layout-row]", has=card(page, "name"))
    assert row.get_attribute("data-cols") == "2"
    assert row.locator("[data-test=canvas-field]").evaluate_all(
        "els => els.map(e => e.dataset.key)"
    ) == ["name", "phone"]

    # The record form: name and phone side by side on a desktop…
    page.goto(f"{server.url}/apps/{APP}/tables/contacts/records/new")
    field(page, "note").wait_for()
    assert page.locator("[data-test=form-section-name]").all_inner_texts() == ["地址与备注"]
    name, phone = field(page, "name").bounding_box(), field(page, "phone").bounding_box()
    assert abs(name["y"] - phone["y"]) < 2 and phone["x"] > name["x"] + name["width"] - 1
    email = field(page, "email").bounding_box()
    assert email["y"] > name["y"] + name["height"] - 1 and email["width"] > name["width"] * 1.5
    shoot(page, "layout-form")

    # …and one under the other on a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_function(
        "() => { const a = document.querySelector('.field-item[data-field=name]')"
        ".getBoundingClientRect(); const b = document.querySelector("
        "'.field-item[data-field=phone]').getBoundingClientRect(); return b.top >= a.bottom }"
    )
    name, phone = field(page, "name").bounding_box(), field(page, "phone").bounding_box()
    assert abs(name["x"] - phone["x"]) < 2 and phone["y"] >= name["y"] + name["height"] - 1
    assert name["x"] + name["width"] <= 390
    shoot(page, "layout-form")

    # A saved record's detail page shows the same layout.
    type_into(field(page, "name"), "王芳")
    type_into(field(page, "city"), "成都")
    page.locator("[data-test=save-record]").click()
    page.wait_for_url(re.compile(r".*/tables/contacts/records/\d+$"))
    field(page, "city").wait_for()
    assert page.locator("[data-test=form-section]").count() == 2
    page.set_viewport_size({"width": 1440, "height": 900})
    page.wait_for_timeout(200)
    name, phone = field(page, "name").bounding_box(), field(page, "phone").bounding_box()
    assert abs(name["y"] - phone["y"]) < 2
    shoot(page, "layout-detail")

    # The designer in English, on a desktop and on a phone.
    page.goto(f"{server.url}/apps/{APP}/tables/contacts/design")
    card(page, "note").wait_for()
    page.locator("[data-test=lang-switch]").click()
    page.locator("[data-test=lang-en]").click()
    page.locator("[data-test=add-section]", has_text="Add section").wait_for()
    shoot(page, "layout-designer")
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("[data-test=layout-row]").first.scroll_into_view_if_needed()
    shoot(page, "layout-designer")
    page.goto(f"{server.url}/apps/{APP}/tables/contacts/records/new")
    field(page, "note").wait_for()
    shoot(page, "layout-form")


def test_a_layout_that_cannot_be_saved_says_why(signed_in: Any, server: Server) -> None:
    app = "layout_conflict"
    make_contacts(server, app)
    page = signed_in
    page.goto(f"{server.url}/apps/{app}/tables/contacts/design")
    card(page, "city").wait_for()
    # Someone else deletes a field while the designer is open; the next layout names it.
    server.api("DELETE", f"/api/v1/apps/{app}/tables/contacts/fields/city")
    name_row = page.locator("[data-test=layout-row]", has=card(page, "name"))
    name_row.locator("[data-test=cols-2]").click()
    error = page.locator(".el-message--error")
    error.wait_for()
    assert "city" in error.inner_text()
    card(page, "city").wait_for(state="detached")  # the designer shows the table as it is
    assert server.api("GET", f"/api/v1/apps/{app}/tables/contacts/layout")["layout"] is None
