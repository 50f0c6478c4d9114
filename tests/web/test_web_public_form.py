"""A public booking form: a manager publishes it from the form designer (its address, embed
code, thank-you page, the fields a link may fill in, a signed link carrying the customer),
then a visitor in a fresh browser (no cookies, never signed in) books a service on a desktop
in Chinese and on a phone in English, with the form's linkage rule live, the proof of work
solved while they type and the thank-you page at the end; the form also works embedded in
another page's iframe. The bookings are records of the owner the manager chose."""

from __future__ import annotations

import re
from typing import Any

import pytest
from ui import choose, field, type_into
from webserver import Server

from formsdata import add_bookings

APP = "booking_web"
T = f"/api/v1/apps/{APP}/tables/bookings"
PUB = f"{T}/forms/booking/publication"


@pytest.fixture
def bookings(server: Server) -> dict[str, Any]:
    """Customers and bookings (a customer relation), the public variant ``booking`` with a
    rule (维修 needs a description), and ``frontdesk`` who may create bookings."""
    apps = {a["key"] for a in server.api("GET", "/api/v1/apps")["items"]}
    if APP not in apps:
        server.api("POST", "/api/v1/users", {"username": "frontdesk", "display_name": "前台"})
        add_bookings(server.api, APP, "售后预约", desk="frontdesk", role="bw_desk")
    acme = server.api("POST", f"/api/v1/apps/{APP}/tables/customers/records", {"name": "Acme 航空"})
    desk = server.api("GET", "/api/v1/users/frontdesk")
    return {"acme": acme["id"], "desk": desk["id"]}


def wait_solved(page: Any) -> None:
    page.locator("[data-test=public-check][data-solved=yes]").wait_for(timeout=60_000)


def test_a_public_booking_form_is_published_and_sent_from_a_fresh_browser(
    signed_in: Any, browser: Any, server: Server, bookings: dict[str, Any], shoot: Any
) -> None:
    # -- the manager publishes the form from the designer --------------------------------------
    page = signed_in
    page.goto(f"{server.url}/apps/{APP}/tables/bookings/design")
    page.locator("[data-test=publish-open]").click()
    panel = page.locator(".publish-panel")
    choose(page, panel.locator("[data-test=publish-form-key]"), "预约保养")
    page.locator("[data-test=publish-now]").click()
    url_box = page.locator("[data-test=publish-url]")  # el-input puts it on the <input>
    url_box.wait_for()
    url = url_box.input_value()
    assert re.fullmatch(re.escape(server.url) + r"/f/[A-Za-z0-9_-]{20,}", url), url
    embed = page.locator("[data-test=publish-embed]").input_value()
    assert embed.startswith(f'<iframe src="{url}"') and "预约保养" in embed
    offered = page.locator("[data-test=publish-offered] .el-tag").all_inner_texts()
    assert offered == ["姓名", "手机", "服务项目", "预约日期", "故障描述"]  # no relation picker
    type_into(page.locator("[data-test=publish-thanks-title-zh-CN]"), "预约已提交")
    type_into(page.locator("[data-test=publish-thanks-text-zh-CN]"), "客服将在 2 小时内与您确认。")
    type_into(page.locator("[data-test=publish-thanks-title-en]"), "Booking received")
    prefill = page.locator("[data-test=publish-prefill]")
    prefill.locator(".el-select__wrapper").click()
    for name in ("客户", "姓名"):
        page.locator(".el-select-dropdown__item:visible", has_text=re.compile(f"^{name}$")).click()
    page.keyboard.press("Escape")
    page.locator("[data-test=publish-save]").click()
    page.locator(".el-message--success", has_text="已保存").wait_for()
    # The owner: the front desk (through the API; the picker is the users' one).
    pub = server.api("GET", PUB)
    assert (
        pub["prefill"] == ["customer", "name"]
        and pub["thank_you"]["zh-CN"]["title"] == "预约已提交"
    )
    server.api("PUT", PUB, {"owner": "frontdesk", "difficulty": 14, "version": pub["version"]})
    # A signed link carrying the name, made in the panel.
    name_input = panel.locator(".field-item[data-field=name]")
    name_input.wait_for()
    type_into(name_input, "Acme 航空 · 王经理")
    panel.locator("[data-test=publish-make-link]").click()
    link_box = panel.locator("[data-test=publish-link]")
    link_box.wait_for()
    shoot(page, "public-form-publish-panel")
    link = link_box.input_value()
    assert link.startswith(url + "?prefill=")
    # The customer too (a relation: through the API, as a CRM integration would).
    signed = server.api("POST", f"{PUB}/links", {"values": {"customer": bookings["acme"], "name": "Acme 航空 · 王经理"}})  # fmt: skip
    link = server.url + signed["url"]

    # -- a visitor on a desktop, in Chinese, from the signed link ------------------------------
    context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    try:
        visitor = context.new_page()
        visitor.set_default_timeout(20_000)
        visitor.goto(link)
        visitor.locator("[data-test=public-title]", has_text="预约保养").wait_for()
        assert "/sign-in" not in visitor.url
        assert not field(visitor, "internal").count() and not field(visitor, "customer").count()
        name = field(visitor, "name")
        assert "Acme 航空 · 王经理" in name.inner_text()  # carried by the link, locked
        assert not name.locator("input").count()
        due = field(visitor, "day").locator("input").first
        visitor.wait_for_function(
            "el => /^\\d{4}-\\d{2}-\\d{2}$/.test(el.value)", arg=due.element_handle()
        )
        type_into(field(visitor, "phone"), "13900139000")
        choose(visitor, field(visitor, "service"), "维修")
        # The rule is live: the description is now required.
        visitor.wait_for_function(
            "() => document.querySelector('.field-item[data-field=notes]').classList.contains('is-required')"
        )
        visitor.locator("[data-test=public-submit]").click()
        err = field(visitor, "notes").locator(".el-form-item__error")
        err.wait_for()
        assert "维修须描述故障" in err.inner_text()
        type_into(field(visitor, "notes"), "刹车异响，踩下有金属摩擦声。")
        wait_solved(visitor)
        shoot(visitor, "public-form-desktop")
        visitor.locator("[data-test=public-submit]").click()
        thanks = visitor.locator("[data-test=public-thanks]")
        thanks.wait_for()
        assert "预约已提交" in thanks.inner_text() and "2 小时内" in thanks.inner_text()
        shoot(visitor, "public-form-thanks")
        assert context.cookies() == []  # never signed in, nothing set
    finally:
        context.close()

    items = server.api("GET", f"{T}/records?expand=customer")["items"]
    [rec] = [r for r in items if r["phone"] == "+8613900139000"]
    assert (rec["name"], rec["service"], rec["customer"]["id"]) == ("Acme 航空 · 王经理", "维修", bookings["acme"])  # fmt: skip
    [h] = server.api("GET", f"{T}/records/{rec['id']}/history")["items"]
    assert h["actor_id"] == bookings["desk"]

    # -- a visitor on a phone, in English, without a link ---------------------------------------
    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    try:
        visitor = context.new_page()
        visitor.set_default_timeout(20_000)
        visitor.goto(url + "?lang=en")
        submit = visitor.locator("[data-test=public-submit]")
        submit.wait_for()
        assert submit.inner_text().strip() == "Send"
        type_into(field(visitor, "name"), "Li Lei")
        type_into(field(visitor, "phone"), "13700137000")
        choose(visitor, field(visitor, "service"), "保养")
        wait_solved(visitor)
        shoot(visitor, "public-form-phone")
        submit.click()
        thanks = visitor.locator("[data-test=public-thanks]")
        thanks.wait_for()
        assert "Booking received" in thanks.inner_text()
        assert "We have received your submission." in thanks.inner_text()  # no text of its own
        shoot(visitor, "public-form-phone-thanks")
        # Chinese on the phone, from the switch.
        visitor.locator("[data-test=public-again]").click()
        visitor.locator("[data-test=public-lang-zh-CN]").click()
        visitor.locator("[data-test=public-submit]", has_text="提交").wait_for()
        shoot(visitor, "public-form-phone")
    finally:
        context.close()

    # -- embedded in another site's page --------------------------------------------------------
    context = browser.new_context(locale="zh-CN", viewport={"width": 1024, "height": 900})
    try:
        host = context.new_page()
        host.set_default_timeout(20_000)
        host.set_content(
            "<html><body style='margin:0;font-family:sans-serif'><h2 style='padding:8px 16px'>"
            f"ACME 售后服务 · 在线预约</h2>{embed}</body></html>"
        )
        frame = host.frame_locator("iframe")
        frame.locator("[data-test=public-title]", has_text="预约保养").wait_for()
        type_into(frame.locator(".field-item[data-field=name]"), "韩梅梅")
        type_into(frame.locator(".field-item[data-field=phone]"), "13600136000")
        choose(frame, frame.locator(".field-item[data-field=service]"), "钣喷")
        frame.locator("[data-test=public-check][data-solved=yes]").wait_for(timeout=60_000)
        shoot(host, "public-form-embedded")
        frame.locator("[data-test=public-submit]").click()
        frame.locator("[data-test=public-thanks]").wait_for()
    finally:
        context.close()
    phones = {r["phone"] for r in server.api("GET", f"{T}/records")["items"]}
    assert {"+8613900139000", "+8613700137000", "+8613600136000"} <= phones
