"""Relation fields on the record form (every linked record shown and editable), the relation
picker's search (the server is asked; only matches are listed), and the grid's export dialog
(columns chosen, headed by field names)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from ui import field
from webserver import Server

APP = "general_aviation"
T = f"/api/v1/apps/{APP}/tables"


@pytest.fixture(scope="module")
def fleet(server: Server) -> dict[str, Any]:
    """A customer with three aircraft and three tickets, and an aircraft nobody owns yet."""
    customer = server.api("POST", f"{T}/customers/records", {"name": "关联测试航空有限公司"})
    cid = customer["id"]
    aircraft = [
        server.api(
            "POST",
            f"{T}/aircraft/records",
            {
                "registration": reg,
                "manufacturer": "赛斯纳 Cessna",
                "model": "Cessna 172",
                "owner": cid,
            },
        )
        for reg in ("B-QA001", "B-QA002", "B-QA003")
    ]
    spare = server.api("POST", f"{T}/aircraft/records", {"registration": "B-QA004"})
    tickets = [
        server.api("POST", f"{T}/service_tickets/records", {"title": title, "customer": cid})
        for title in ("关联测试工单一", "关联测试工单二", "关联测试工单三")
    ]
    return {"customer": customer, "aircraft": aircraft, "spare": spare, "tickets": tickets}


def tags(page: Any, key: str) -> list[str]:
    """The labels of the records chosen in a relation field's select."""
    return field(page, key).locator(".el-select__tags-text").all_inner_texts()


def test_the_form_shows_and_edits_every_linked_record(
    signed_in: Any, server: Server, fleet: dict[str, Any], shoot: Any
) -> None:
    page = signed_in
    cid = fleet["customer"]["id"]
    page.goto(f"{server.url}/apps/{APP}/tables/customers/records/{cid}")
    page.locator("[data-test=record-title]", has_text="关联测试航空").wait_for()
    field(page, "aircraft").locator(".el-select__tags-text", has_text="B-QA003").wait_for()
    assert tags(page, "aircraft") == ["B-QA001", "B-QA002", "B-QA003"]
    assert tags(page, "tickets") == ["关联测试工单一", "关联测试工单二", "关联测试工单三"]
    field(page, "aircraft").scroll_into_view_if_needed()
    shoot(page, "record-relations")

    # Link the spare aircraft by searching for it, and unlink one: all in one save.
    select = field(page, "aircraft")
    select.locator(".el-select__wrapper").click()
    select.locator("input").press_sequentially("QA004")
    page.locator(".el-select-dropdown__item:visible", has_text="B-QA004").click()
    page.keyboard.press("Escape")
    chip = select.locator(".el-tag", has_text="B-QA002")
    chip.locator(".el-tag__close").click()
    assert tags(page, "aircraft") == ["B-QA001", "B-QA003", "B-QA004"]
    page.locator("[data-test=save-record]").click()
    page.locator(".el-message--success").wait_for()
    saved = server.api("GET", f"{T}/customers/records/{cid}")
    ids = {a["registration"]: a["id"] for a in [*fleet["aircraft"], fleet["spare"]]}
    assert sorted(saved["aircraft"]) == sorted(ids[r] for r in ("B-QA001", "B-QA003", "B-QA004"))
    assert server.api("GET", f"{T}/aircraft/records/{ids['B-QA002']}")["owner"] is None
    assert len(saved["tickets"]) == 3


def test_the_picker_lists_only_what_matches_the_search(
    signed_in: Any, server: Server, fleet: dict[str, Any]
) -> None:
    page = signed_in
    # A demo customer far down the list (not among the first page of records).
    last = server.api(
        "POST",
        f"{T}/customers/records/query",
        {"sort": [{"field": "id", "direction": "desc"}], "limit": 50},
    )["items"]
    wanted = next(c for c in last if c["name"] != fleet["customer"]["name"])["name"]
    ticket = fleet["tickets"][0]
    page.goto(f"{server.url}/apps/{APP}/tables/service_tickets/records/{ticket['id']}")
    select = field(page, "customer")
    select.locator(".el-select__wrapper").click()
    page.locator(".el-select-dropdown__item:visible").first.wait_for()
    asked: list[str] = []
    page.on(
        "request",
        lambda r: asked.append(r.post_data or "") if r.url.endswith("/records/query") else None,
    )
    select.locator("input").press_sequentially(wanted)
    options = page.locator(".el-select-dropdown__item:visible")
    options.filter(has_text=wanted).first.wait_for()
    page.wait_for_load_state("networkidle")
    shown = options.all_inner_texts()
    # The matches first; besides them only the customer already chosen.
    assert shown[0].startswith(wanted), shown
    assert all(wanted in s or s == fleet["customer"]["name"] for s in shown), shown
    assert any(wanted in body and "contains" in body for body in asked), asked
    page.keyboard.press("Escape")


def test_export_dialog_chooses_columns_headed_by_field_names(
    signed_in: Any, server: Server, shoot: Any
) -> None:
    page = signed_in
    page.goto(f"{server.url}/apps/{APP}/tables/aircraft")
    page.locator(".el-table-v2__row").first.wait_for()
    page.locator("[data-test=export-button]").click()
    dialog = page.locator("[data-test=export-dialog]")
    dialog.wait_for()
    # The visible grid columns are ticked; the system columns are offered, not ticked.
    fields = server.api("GET", f"{T}/aircraft")["fields"]
    for f in fields:
        assert dialog.locator(f"[data-test=export-col-{f['key']}] input").is_checked()
    assert not dialog.locator("[data-test=export-col-created_at] input").is_checked()
    dialog.locator("[data-test=export-col-created_at]").click()
    dialog.locator("[data-test=export-col-photos]").click()
    shoot(page, "export-dialog")
    with page.expect_download() as info:
        dialog.locator("[data-test=export-run]").click()
    path = info.value.path()
    with open(path, encoding="utf-8-sig") as fh:
        head = next(csv.reader(io.StringIO(fh.read())))
    names = [f["name"] for f in fields if f["key"] != "photos"]
    assert head == [*names, "创建时间"]
