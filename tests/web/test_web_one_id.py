"""One-ID in the browser (issue 21): a customer table with a mobile key gets a duplicate rule in
its settings page, "find duplicates" runs with its progress, the review queue shows the pairs
with their evidence; one pair is merged through the merge dialog keeping the loser's city (its
order moves to the survivor, the loser's page resolves to the survivor), another is marked "not
the same" (remembered), and the merge is undone from the survivor's page: each record has its
own values and its own order again. On a phone (390 px) the queue and the merge dialog fit the
screen; a field's survivorship is set in the form designer."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ui import choose, open_as, type_into, wait_until
from webserver import Server

ROWS = [
    # name, mobile (as typed), city: 1 and 2 are one person, 3 and 4 share a phone but are not.
    ("张伟", "13800138000", "北京"),
    ("张伟", "+86 138-0013-8000", "上海"),
    ("李娜", "13900139000", "广州"),
    ("李娜", "139 0013 9000", "深圳"),
    ("王芳", "13700137000", "杭州"),
]


def _base(app: str, table: str = "people") -> str:
    return f"/api/v1/apps/{app}/tables/{table}"


@pytest.fixture
def customers(server: Server, request: pytest.FixtureRequest) -> tuple[str, list[int], int]:
    """An app with customers (mobile is an identity key) and an order of the second customer;
    no rule yet. Returns the app, the customers' ids in ROWS' order and the order's id."""
    if not server.has_route("/api/v1/apps/{app}/tables/{table}/merges"):
        pytest.skip("One-ID server parts (match rules, merges) are not on this branch yet")
    app = "oneid_" + re.sub(r"[^a-z0-9]", "_", request.node.name.lower())[-24:]
    server.api("POST", "/api/v1/apps", {"key": app, "name": "客户统一"})
    fields = [
        {"key": "name", "name": "姓名", "type": "text", "required": True},
        {"key": "mobile", "name": "手机号", "type": "phone", "options": {"identity_key": "mobile"}},
        {"key": "city", "name": "城市", "type": "text"},
    ]
    server.api(
        "POST",
        f"/api/v1/apps/{app}/tables",
        {"key": "people", "name": "客户", "display_field": "name", "fields": fields},
    )
    server.api(
        "POST",
        f"/api/v1/apps/{app}/tables",
        {
            "key": "orders",
            "name": "订单",
            "display_field": "title",
            "fields": [
                {"key": "title", "name": "订单号", "type": "text"},
            ],
        },
    )
    server.api(
        "POST",
        _base(app, "orders") + "/fields",
        {
            "key": "customer",
            "name": "客户",
            "type": "relation",
            "options": {"target_table": "people", "multiple": False},
        },
    )
    ids = [
        server.api("POST", _base(app) + "/records", {"name": n, "mobile": m, "city": c})["id"]
        for n, m, c in ROWS
    ]
    order = server.api(
        "POST", _base(app, "orders") + "/records", {"title": "SO-1", "customer": ids[1]}
    )["id"]
    return app, ids, order


def record(server: Server, app: str, rid: int) -> dict[str, Any]:
    return server.api("GET", _base(app) + f"/records/{rid}")


def linked(value: Any) -> int | None:
    """A relation value as an id (a bare id, ``{"id": …}`` or a one-item list)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("id")
    return value


def order_customer(server: Server, app: str, order: int) -> int | None:
    return linked(server.api("GET", _base(app, "orders") + f"/records/{order}")["customer"])


def pairs(server: Server, app: str, status: str) -> list[dict[str, Any]]:
    return server.api("GET", _base(app) + f"/duplicates?status={status}&limit=50")["items"]


def names_of(pair: Any) -> str:
    return (
        pair.locator("[data-test=pair-a]").inner_text()
        + pair.locator("[data-test=pair-b]").inner_text()
    )


INSIDE = """([sel, w]) => document.documentElement.scrollWidth <= w + 1 && [
  ...document.querySelectorAll(sel + ' *')
].every((e) => e.getBoundingClientRect().right <= w + 1)"""


def fits(page: Any, selector: str, width: int) -> bool:
    return bool(page.evaluate(INSIDE, [selector, width]))


def test_rule_find_duplicates_merge_not_same_and_unmerge(
    signed_in: Any,
    server: Server,
    customers: tuple[str, list[int], int],
    shoot: Callable[[Any, str], Path],
) -> None:
    page = signed_in
    app, ids, order = customers
    grid = f"{server.url}/apps/{app}/tables/people"

    # The grid's toolbar leads to the queue (no open pairs yet: no badge), the queue to the rules.
    page.goto(grid)
    page.locator("[data-test=open-duplicates]").click()
    page.locator("[data-test=duplicates-queue]").wait_for()
    page.locator("[data-test=queue-empty]").wait_for()
    page.locator("[data-test=open-rules]").click()
    page.locator("[data-test=duplicate-rules]").wait_for()

    # A rule: exact on the mobile key (keys come first in the picker, marked as keys).
    page.locator("[data-test=rule-add]").click()
    dialog = page.locator("[data-test=rule-dialog]")
    type_into(dialog.locator("[data-test=rule-name]"), "手机号相同")
    page.locator("[data-test=rule-part-field-0] .el-select__wrapper").click()
    first = page.locator(".el-select-dropdown__item:visible").first
    assert "手机号" in first.inner_text() and "标识" in first.inner_text()
    first.click()
    shoot(page, "one-id-rule-dialog")
    dialog.locator("[data-test=rule-save]").click()
    row = page.locator("[data-test=rule-row][data-rule=手机号相同]")
    row.wait_for()
    assert "手机号" in row.locator("[data-test=rule-parts]").inner_text()
    [rule] = server.api("GET", _base(app) + "/identity-rules")["items"]
    assert (rule["kind"], rule["parts"][0]["field"], rule["action"]) == (
        "exact",
        "mobile",
        "suggest",
    )

    # A second rule, a combination (name fuzzy, city exact, least score 90): added, moved up
    # before the first and switched off (so the run below uses the mobile rule only).
    page.locator("[data-test=rule-add]").click()
    type_into(dialog.locator("[data-test=rule-name]"), "姓名加城市")
    dialog.locator("[data-test=rule-kind-combo]").click()
    choose(page, dialog.locator("[data-test=rule-part-field-0]"), "姓名")
    dialog.locator("[data-test=rule-part-fuzzy-0]").click()
    # (the first picker's list closes before the second opens: one visible list at a time)
    page.locator(".el-select-dropdown__item:visible").first.wait_for(state="hidden")
    choose(page, dialog.locator("[data-test=rule-part-field-1]"), "城市")
    dialog.locator("[data-test=rule-threshold]").wait_for()
    dialog.locator("[data-test=rule-save]").click()
    combo = page.locator("[data-test=rule-row][data-rule=姓名加城市]")
    combo.wait_for()
    combo.locator("[data-test=rule-up]").click()
    page.locator("[data-test=rule-row]").first.filter(has_text="姓名加城市").wait_for()
    combo.locator("[data-test=rule-enabled-switch]").click()
    page.locator("[data-test=rule-row].off[data-rule=姓名加城市]").wait_for()
    saved = server.api("GET", _base(app) + "/identity-rules")["items"]
    by_name = {r["name"]: r for r in sorted(saved, key=lambda r: r["position"])}
    assert list(by_name) == ["姓名加城市", "手机号相同"]
    assert by_name["姓名加城市"]["parts"] == [
        {"field": "name", "via": None, "compare": "fuzzy"},
        {"field": "city", "via": None, "compare": "exact"},
    ]
    assert (by_name["姓名加城市"]["kind"], by_name["姓名加城市"]["enabled"]) == ("combo", False)

    # Find duplicates over the table: its progress ends done with the two pairs found.
    page.locator("[data-test=find-duplicates-start]").click()
    page.locator("[data-test=find-duplicates][data-status=done]").wait_for(timeout=60_000)
    assert "5 / 5" in page.locator("[data-test=find-duplicates-done]").inner_text()
    assert "2" in page.locator("[data-test=find-duplicates-found]").inner_text()
    shoot(page, "one-id-rules")
    page.locator("[data-test=find-duplicates-queue]").wait_for()
    # The grid's toolbar shows the open pairs on its way to the queue.
    page.goto(grid)
    assert page.locator("[data-test=duplicates-badge] .el-badge__content").inner_text() == "2"
    page.locator("[data-test=open-duplicates]").click()

    # The queue: two open pairs, each with the mobile as matching evidence.
    queue = page.locator("[data-test=pair-list]")
    page.locator("[data-test=pair]").nth(1).wait_for()
    assert page.locator("[data-test=pair]").count() == 2
    zhang = queue.locator("[data-test=pair]").filter(has_text="张伟")
    li = queue.locator("[data-test=pair]").filter(has_text="李娜")
    assert zhang.locator("[data-test=pair-line].match[data-field=mobile]").count() == 1
    assert "北京" in zhang.inner_text() and "上海" in zhang.inner_text()
    shoot(page, "one-id-queue")

    # 李娜 and 李娜 share a phone but are two people: not the same, remembered.
    li.locator("[data-test=pair-not-same]").click()
    wait_until(lambda: len(pairs(server, app, "not_same")) == 1, "the pair marked not the same")
    page.locator("[data-test=pair]").filter(has_text="李娜").wait_for(state="detached")

    # Merge 张伟: the older record survives; its city becomes the loser's 上海.
    zhang.locator("[data-test=pair-merge]").click()
    merge = page.locator("[data-test=merge-dialog]")
    merge.locator("[data-test=merge-field][data-field=city]").wait_for()
    assert f"#{ids[0]}" in merge.locator("[data-test=merge-survivor]").inner_text()
    assert f"#{ids[1]}" in merge.locator("[data-test=merge-loser]").inner_text()
    city = merge.locator("[data-test=merge-field][data-field=city]")
    assert "北京" in city.inner_text() and "上海" in city.inner_text()
    city.locator("[data-test=merge-pick-loser]").click()
    assert "订单" in merge.locator("[data-test=merge-related]").inner_text()
    shoot(page, "one-id-merge-dialog")
    merge.locator("[data-test=merge-confirm]").click()
    merge.wait_for(state="hidden")
    page.locator("[data-test=queue-empty]").wait_for()

    # The data: the survivor has 上海, the order moved, the loser resolves to the survivor.
    assert record(server, app, ids[0])["city"] == "上海"
    assert order_customer(server, app, order) == ids[0]
    assert len(pairs(server, app, "merged")) == 1
    page.locator("[data-test=queue-tab-merged]").click()
    page.locator("[data-test=pair][data-status=merged]").wait_for()

    # The loser's old address opens the survivor with a notice; its merges list the loser.
    page.goto(f"{grid}/records/{ids[1]}")
    page.wait_for_url(re.compile(rf"/records/{ids[0]}\?merged_from={ids[1]}"))
    assert f"#{ids[1]}" in page.locator("[data-test=merged-notice]").inner_text()
    page.locator("#tab-merges").click()
    entry = page.locator("[data-test=merge-entry][data-status=merged]")
    entry.wait_for()
    assert f"#{ids[1]}" in entry.inner_text()
    shoot(page, "one-id-record-merges")

    # Unmerge: confirmed, then each record has its own values and its own order again.
    entry.locator("[data-test=unmerge]").click()
    page.locator(".el-message-box .el-button--primary").click()
    page.locator("[data-test=merge-entry][data-status=unmerged]").wait_for()
    back = record(server, app, ids[1])
    assert (back["id"], back["name"], back["city"]) == (ids[1], "张伟", "上海")
    assert record(server, app, ids[0])["city"] == "北京"
    assert order_customer(server, app, order) == ids[1]
    # 李娜's pair stays "not the same": a new run does not bring it back.
    assert not pairs(server, app, "open") or all(
        "李娜" not in p["record_a"]["title"] for p in pairs(server, app, "open")
    )


def test_queue_and_merge_dialog_fit_a_phone(
    signed_in: Any,
    server: Server,
    customers: tuple[str, list[int], int],
    shoot: Callable[[Any, str], Path],
) -> None:
    page = signed_in
    app, ids, _ = customers
    rule = {
        "name": "手机号相同",
        "kind": "exact",
        "parts": [{"field": "mobile", "via": None, "compare": "exact"}],
        "threshold": 100,
        "action": "suggest",
        "enabled": True,
    }
    server.api("POST", _base(app) + "/identity-rules", rule)
    job = server.api("POST", _base(app) + "/duplicate-jobs")
    wait_until(
        lambda: server.api("GET", _base(app) + f"/duplicate-jobs/{job['id']}")["status"] == "done",
        "find duplicates to finish",
    )
    assert len(pairs(server, app, "open")) == 2

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server.url}/apps/{app}/tables/people/duplicates")
    page.locator("[data-test=pair]").nth(1).wait_for()
    assert fits(page, "[data-test=duplicates-queue]", 390)
    shoot(page, "one-id-queue-phone")

    # Bulk: both pairs put off for later, then one merged from the later tab.
    page.locator("[data-test=queue-select-all]").click()
    page.locator("[data-test=bulk-later]").click()
    page.locator("[data-test=queue-empty]").wait_for()
    assert len(pairs(server, app, "later")) == 2
    page.locator("[data-test=queue-tab-later]").click()
    zhang = page.locator("[data-test=pair]").filter(has_text="张伟")
    zhang.locator("[data-test=pair-merge]").click()
    merge = page.locator("[data-test=merge-dialog]")
    merge.locator("[data-test=merge-field][data-field=city]").wait_for()
    assert fits(page, "[data-test=merge-dialog]", 390)
    shoot(page, "one-id-merge-dialog-phone")
    # Swap: the newer record survives; nothing picked, so the proposal stands.
    merge.locator("[data-test=merge-swap]").click()
    merge.locator("[data-test=merge-survivor]", has_text=f"#{ids[1]}").wait_for()
    merge.locator("[data-test=merge-field][data-field=city]").wait_for()
    merge.locator("[data-test=merge-confirm]").click()
    merge.wait_for(state="hidden")
    assert record(server, app, ids[1])["city"] == "上海"
    assert len(pairs(server, app, "merged")) == 1

    # "Merge with…" from a record page: the picker names each record with its id and key.
    page.goto(f"{server.url}/apps/{app}/tables/people/records/{ids[2]}")
    page.locator("[data-test=merge-with]").click()
    picker = page.locator("[data-test=merge-with-dialog]")
    picker.locator(".el-select__wrapper").click()
    option = page.locator(f"[data-test=merge-with-option-{ids[3]}]")
    option.wait_for()
    assert "+8613900139000" in option.inner_text()
    assert page.locator(f"[data-test=merge-with-option-{ids[2]}]").count() == 0
    option.click()
    shoot(page, "one-id-merge-with-phone")
    picker.locator("[data-test=merge-with-next]").click()
    merge = page.locator("[data-test=merge-dialog]")
    city = merge.locator("[data-test=merge-field][data-field=city]")
    city.wait_for()
    # Neither 广州 nor 深圳: the city is typed by hand in the field's own editor.
    city.locator("[data-test=merge-pick-other]").click()
    city.locator("[data-test=merge-typed] input").fill("珠海")
    assert fits(page, "[data-test=merge-dialog]", 390)
    shoot(page, "one-id-merge-typed-phone")
    merge.locator("[data-test=merge-confirm]").click()
    merge.wait_for(state="hidden")
    assert record(server, app, ids[3])["id"] == ids[2]  # the tombstone resolves to the survivor
    assert record(server, app, ids[2])["city"] == "珠海"
    assert len(pairs(server, app, "merged")) == 2

    page.goto(f"{server.url}/apps/{app}/tables/people/duplicate-rules")
    page.locator("[data-test=rule-row]").wait_for()
    assert fits(page, "[data-test=duplicate-rules]", 390)
    shoot(page, "one-id-rules-phone")
    open_as(
        page, f"{server.url}/apps/{app}/tables/people/duplicates?status=merged", (390, 844), "en"
    )
    page.locator("[data-test=pair][data-status=merged]").first.wait_for()
    assert "Merged" in page.locator("[data-test=queue-tab-merged]").inner_text()
    assert fits(page, "[data-test=duplicates-queue]", 390)
    shoot(page, "one-id-queue-merged-phone")


def test_a_fields_survivorship_is_set_in_the_designer(
    signed_in: Any, server: Server, customers: tuple[str, list[int], int]
) -> None:
    page = signed_in
    app, _, _ = customers
    page.goto(f"{server.url}/apps/{app}/tables/people/design")
    page.locator("[data-test=canvas-field][data-key=city]").click()
    settings = page.locator("[data-test=settings]")
    settings.locator("[data-test=field-survivorship]").wait_for()
    choose(page, settings.locator("[data-test=survivorship-rule]"), "最近更新的记录的值")
    page.locator("[data-test=save-field]").click()
    page.locator(".el-message--success").first.wait_for()
    fields = server.api("GET", _base(app) + "/fields")["items"]
    city = next(f for f in fields if f["key"] == "city")
    assert city["options"].get("survivorship") == {"rule": "recent"}
    # A relation is merged by uniting its links: it has no survivorship setting.
    page.goto(f"{server.url}/apps/{app}/tables/orders/design")
    page.locator("[data-test=canvas-field][data-key=customer]").click()
    settings.locator("[data-test=field-name]").wait_for()
    assert settings.locator("[data-test=field-survivorship]").count() == 0
