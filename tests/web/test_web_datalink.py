"""Data linkage in the browser: picking a customer in a ticket's form fills its contact phone at
once (editable, saved as shown); choosing a brand limits the model's options to that brand's,
and changing the brand clears a model that no longer fits; the field designer shows and saves
both settings, and a fill row can become a lookup field instead ("keep in sync"). Screenshots
at desk and phone width, in Chinese and English."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from ui import choose, field, switch_language
from webserver import Server

APP = "datalink_ui"
T = f"/api/v1/apps/{APP}/tables"
BRANDS = ["比亚迪", "吉利", "长安"]
MODELS = {"比亚迪": ["汉", "唐", "秦"], "吉利": ["星越L", "博越"], "长安": ["CS75"]}


@pytest.fixture(scope="module")
def linked(server: Server) -> Iterator[dict[str, Any]]:
    """Customers; tickets whose customer fills the contact phone and the tier (as text), and
    whose car model cascades from the brand."""
    server.api("POST", "/api/v1/apps", {"key": APP, "name": "数据联动"})
    server.api(
        "POST",
        f"{T}",
        {
            "key": "customers",
            "name": "客户",
            "fields": [
                {"key": "name", "name": "客户名称", "type": "text"},
                {"key": "phone", "name": "手机号", "type": "phone"},
                {
                    "key": "tier",
                    "name": "等级",
                    "type": "single_select",
                    "options": {"choices": [{"value": "VIP"}, {"value": "普通"}]},
                },
            ],
        },
    )
    server.api("PATCH", f"{T}/customers", {"display_field": "name"})
    server.api(
        "POST",
        f"{T}",
        {
            "key": "tickets",
            "name": "工单",
            "fields": [
                {"key": "title", "name": "标题", "type": "text"},
                {"key": "contact_phone", "name": "联系电话", "type": "phone"},
                {"key": "tier_text", "name": "客户等级", "type": "text"},
                {
                    "key": "brand",
                    "name": "品牌",
                    "type": "single_select",
                    "options": {"choices": [{"value": b} for b in BRANDS]},
                },
            ],
        },
    )
    server.api(
        "POST",
        f"{T}/tickets/fields",
        {
            "key": "model",
            "name": "车型",
            "type": "single_select",
            "options": {
                "choices": [{"value": m} for ms in MODELS.values() for m in ms],
                "parent": "brand",
                "cascade": MODELS,
            },
        },
    )
    server.api(
        "POST",
        f"{T}/tickets/fields",
        {
            "key": "customer",
            "name": "客户",
            "type": "relation",
            "options": {
                "target_table": "customers",
                "multiple": False,
                "fill": [
                    {"from": "phone", "to": "contact_phone"},
                    {"from": "tier", "to": "tier_text"},
                ],
            },
        },
    )
    layout = {
        "sections": [
            {
                "title": "",
                "collapsed": False,
                "rows": [["title"], ["customer", "contact_phone", "tier_text"], ["brand", "model"]],
            }
        ]
    }
    server.api("PUT", f"{T}/tickets/layout", layout)
    east = server.api(
        "POST",
        f"{T}/customers/records",
        {"name": "东方通用航空", "phone": "13812345678", "tier": "VIP"},
    )
    west = server.api(
        "POST", f"{T}/customers/records", {"name": "西部飞行学校", "phone": "13987654321"}
    )
    yield {"east": east, "west": west}


def test_picking_a_customer_fills_the_ticket(
    signed_in: Any, server: Server, linked: dict[str, Any], shoot: Callable[[Any, str], Path]
) -> None:
    page = signed_in
    page.goto(f"{server.url}/apps/{APP}/tables/tickets/records/new")
    field(page, "title").locator("input").fill("年检预约")
    choose(page, field(page, "customer"), "东方通用航空")
    phone = field(page, "contact_phone").locator("input")
    expect(phone).to_have_value("+8613812345678")
    expect(field(page, "tier_text").locator("input")).to_have_value("VIP")
    # Another customer fills again: the earlier values are replaced.
    choose(page, field(page, "customer"), "西部飞行学校")
    expect(phone).to_have_value("+8613987654321")
    expect(field(page, "tier_text").locator("input")).to_have_value("")
    # The filled phone stays editable; what is shown is what is saved.
    phone.fill("13700001111")
    shoot(page, "datalink-fill")
    page.locator("[data-test=save-record]").click()
    page.wait_for_url(re.compile(r".*/tables/tickets/records/\d+$"))
    rid = int(page.url.rsplit("/", 1)[1])
    saved = server.api("GET", f"{T}/tickets/records/{rid}")
    assert (saved["customer"], saved["contact_phone"], saved["tier_text"]) == (
        linked["west"]["id"],
        "+8613700001111",
        None,
    )


def test_a_cleared_filled_field_stays_blank(
    signed_in: Any, server: Server, linked: dict[str, Any]
) -> None:
    """Cleared after the pick, the phone is sent blank, so the server does not fill it again."""
    page = signed_in
    page.goto(f"{server.url}/apps/{APP}/tables/tickets/records/new")
    field(page, "title").locator("input").fill("不留电话")
    choose(page, field(page, "customer"), "东方通用航空")
    phone = field(page, "contact_phone").locator("input")
    expect(phone).to_have_value("+8613812345678")
    phone.fill("")
    page.locator("[data-test=save-record]").click()
    page.wait_for_url(re.compile(r".*/tables/tickets/records/\d+$"))
    rid = int(page.url.rsplit("/", 1)[1])
    saved = server.api("GET", f"{T}/tickets/records/{rid}")
    assert (saved["contact_phone"], saved["tier_text"]) == (None, "VIP")


def options_of(page: Any, key: str) -> list[str]:
    """The options the select of ``key`` offers (opened, read, closed again)."""
    expect(page.locator(".el-select-dropdown:visible")).to_have_count(0)  # the last one shut
    field(page, key).locator(".el-select__wrapper").click()
    items = page.locator(".el-select-dropdown:visible .el-select-dropdown__item")
    items.first.wait_for()
    texts = [t.strip() for t in items.all_inner_texts()]
    page.keyboard.press("Escape")
    return texts


def test_a_model_follows_its_brand(
    signed_in: Any, server: Server, linked: dict[str, Any], shoot: Callable[[Any, str], Path]
) -> None:
    page = signed_in
    page.goto(f"{server.url}/apps/{APP}/tables/tickets/records/new")
    model = field(page, "model")
    field(page, "title").locator("input").wait_for()
    # No brand yet: the model says what comes first.
    expect(model.locator(".el-select__placeholder")).to_contain_text("请先选择品牌")
    choose(page, field(page, "brand"), "吉利")
    assert options_of(page, "model") == MODELS["吉利"]
    choose(page, model, "博越")
    shown = model.locator(".el-select__placeholder")
    expect(shown).to_have_text("博越")
    expect(shown).not_to_have_class(re.compile("is-transparent"))
    shoot(page, "datalink-cascade")
    # Another brand: 博越 no longer fits and is cleared; the options are that brand's.
    choose(page, field(page, "brand"), "比亚迪")
    expect(shown).to_have_class(re.compile("is-transparent"))  # the placeholder: no value
    assert options_of(page, "model") == MODELS["比亚迪"]
    choose(page, model, "唐")
    field(page, "title").locator("input").fill("级联")
    page.locator("[data-test=save-record]").click()
    page.wait_for_url(re.compile(r".*/tables/tickets/records/\d+$"))
    rid = int(page.url.rsplit("/", 1)[1])
    saved = server.api("GET", f"{T}/tickets/records/{rid}")
    assert (saved["brand"], saved["model"]) == ("比亚迪", "唐")


def test_the_designer_edits_fill_and_cascade(
    signed_in: Any, server: Server, linked: dict[str, Any], shoot: Callable[[Any, str], Path]
) -> None:
    page = signed_in
    page.goto(f"{server.url}/apps/{APP}/tables/tickets/design")
    # The model's settings: its parent and, per brand, the models offered.
    page.locator("[data-test=canvas-field][data-key=model]").click()
    settings = page.locator("[data-test=settings]")
    rows = settings.locator("[data-test=cascade-row]")
    expect(rows).to_have_count(3)
    row = settings.locator("[data-test=cascade-row][data-parent=长安]")
    row.get_by_text("博越").click()  # tick 博越 under 长安 too
    shoot(page, "datalink-cascade-settings")
    settings.locator("[data-test=save-field]").click()
    page.locator(".el-message--success").wait_for()
    fields = {f["key"]: f for f in server.api("GET", f"{T}/tickets/fields")["items"]}
    assert fields["model"]["options"]["cascade"]["长安"] == ["博越", "CS75"]
    # The customer's settings: its fill pairs; one becomes a lookup field kept in sync.
    page.locator("[data-test=canvas-field][data-key=customer]").click()
    fill = settings.locator("[data-test=fill-row]")
    expect(fill).to_have_count(2)
    settings.locator("[data-test=add-fill]").click()
    expect(fill).to_have_count(3)
    choose(page, fill.nth(2).locator("[data-test=fill-from]"), "客户名称")
    fill.nth(2).locator("[data-test=fill-mode]").get_by_text("保持同步").click()
    shoot(page, "datalink-fill-settings")
    fill.nth(2).locator("[data-test=fill-make-lookup]").click()
    page.locator(".el-message--success").first.wait_for()
    expect(fill).to_have_count(2)
    fields = {f["key"]: f for f in server.api("GET", f"{T}/tickets/fields")["items"]}
    lookup = fields["customer_name"]
    assert lookup["type"] == "lookup"
    assert lookup["options"] == {"relation": "customer", "field": "name"}
    expect(page.locator("[data-test=canvas-field][data-key=customer_name]")).to_be_visible()
    # A bad pair is refused and shown at its row.
    settings.locator("[data-test=add-fill]").click()
    choose(page, fill.nth(2).locator("[data-test=fill-from]"), "客户名称")
    choose(page, fill.nth(2).locator("[data-test=fill-to]"), "联系电话")
    settings.locator("[data-test=save-field]").click()
    expect(fill.nth(2).locator("[data-test=fill-error]")).to_contain_text("被填充了不止一次")
    fields = {f["key"]: f for f in server.api("GET", f"{T}/tickets/fields")["items"]}
    assert len(fields["customer"]["options"]["fill"]) == 2


@pytest.mark.parametrize(
    ("lang", "width", "height"), [("zh-CN", 390, 844), ("en", 390, 844), ("en", 1440, 900)]
)
def test_the_form_at_phone_width_and_in_english(
    signed_in: Any,
    server: Server,
    linked: dict[str, Any],
    shoot: Callable[[Any, str], Path],
    lang: str,
    width: int,
    height: int,
) -> None:
    page = signed_in
    page.set_viewport_size({"width": width, "height": height})
    try:
        if lang != "zh-CN":
            switch_language(page, lang)
        page.goto(f"{server.url}/apps/{APP}/tables/tickets/records/new")
        choose(page, field(page, "customer"), "东方通用航空")
        expect(field(page, "contact_phone").locator("input")).to_have_value("+8613812345678")
        first = "Choose 品牌 first" if lang == "en" else "请先选择品牌"
        expect(field(page, "model").locator(".el-select__placeholder")).to_contain_text(first)
        choose(page, field(page, "brand"), "长安")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        shoot(page, "datalink-form")
        page.goto(f"{server.url}/apps/{APP}/tables/tickets/design")
        page.locator("[data-test=canvas-field][data-key=customer]").click()
        page.locator("[data-test=fill-row]").first.wait_for()
        page.locator("[data-test=fill-settings]").scroll_into_view_if_needed()
        shoot(page, "datalink-designer")
    finally:
        page.set_viewport_size({"width": 1440, "height": 900})
        if page.evaluate("document.documentElement.lang") != "zh-CN":
            switch_language(page, "zh-CN")
