"""Segments in the browser (issue 22): a manager builds a "sleeping VIP" segment (tier is VIP in
the filter builder, and a formula: no contact for 90 days), sees the live count before saving,
then the segment page with its members, history and counts chart; a rule on "enters the
segment" acts when another VIP falls asleep (the worker re-checks the edited record). The list,
the editor and the segment page are looked at on a desktop (zh-CN) and a phone (en)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from ui import choose, open_as, type_into, wait_until
from webserver import Server

SHOTS = Path("/tmp/shots-S")


def snap(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or {"width": 0}
    lang = page.evaluate("document.documentElement.lang")
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / f"{name}-{lang}-{size['width']}.png"), full_page=True)


@pytest.fixture
def shop(server: Server, request: pytest.FixtureRequest) -> tuple[str, dict[str, int]]:
    if not server.has_route("/api/v1/apps/{app}/segments"):
        pytest.skip("segments are not on this branch")
    app = "seg_" + re.sub(r"[^a-z0-9]", "_", request.node.name.lower())[-20:]
    server.api("POST", "/api/v1/apps", {"key": app, "name": "客户运营"})
    fields = [
        {"key": "name", "name": "客户名称", "type": "text", "required": True},
        {
            "key": "tier",
            "name": "等级",
            "type": "single_select",
            "options": {"choices": [{"value": "VIP"}, {"value": "普通"}]},
        },
        {"key": "last_contact", "name": "最近联系", "type": "date"},
        {"key": "note", "name": "备注", "type": "text"},
    ]
    server.api(
        "POST",
        f"/api/v1/apps/{app}/tables",
        {"key": "customers", "name": "客户", "display_field": "name", "fields": fields},
    )
    old = (date.today() - timedelta(days=200)).isoformat()
    recent = (date.today() - timedelta(days=5)).isoformat()
    rows = {
        "张伟": {"tier": "VIP", "last_contact": old},
        "李娜": {"tier": "VIP", "last_contact": recent},
        "王芳": {"tier": "普通", "last_contact": old},
    }
    ids = {
        name: server.api(
            "POST", f"/api/v1/apps/{app}/tables/customers/records", {"name": name, **v}
        )["id"]
        for name, v in rows.items()
    }
    return app, ids


def test_build_a_sleeping_vip_segment_that_a_rule_acts_on(
    signed_in: Any, server: Server, shop: tuple[str, dict[str, int]]
) -> None:
    page = signed_in
    app, ids = shop
    page.goto(f"{server.url}/apps/{app}")
    page.locator("[data-test=menu-segments]").click()
    page.wait_for_selector("[data-test=segment-list]")
    page.locator("[data-test=new-segment]").click()
    page.wait_for_selector("[data-test=segment-editor]")
    type_into(page.locator("[data-test=segment-name]"), "沉睡VIP")
    page.locator("[data-test=add-condition]").click()
    row = page.locator("[data-test=filter-row]").first
    choose(page, row.locator("[data-test=filter-field]"), "等级")
    choose(page, row.locator("[data-test=filter-value]"), "VIP")
    type_into(page.locator("[data-test=segment-formula]"), "DAYS(TODAY(), {last_contact}) > 90")
    page.wait_for_function(
        "document.querySelector('[data-test=segment-preview-count]')?.innerText === '1'"
    )
    snap(page, "segment-editor")
    page.locator("[data-test=segment-save]").click()
    page.wait_for_selector("[data-test=segment-page]")
    page.wait_for_selector("[data-test=segment-members] [data-test=member-title]")
    assert page.locator("[data-test=member-title]").all_inner_texts() == ["张伟"]
    page.wait_for_selector("[data-test=segment-chart] canvas")
    snap(page, "segment-page")
    sid = int(page.url.rstrip("/").split("/")[-1])

    # a rule acts on whoever enters; 李娜 falls asleep: the worker moves her in, the rule runs
    rule = {
        "key": "wake_up",
        "name": "唤醒沉睡VIP",
        "table": "customers",
        "trigger": {"type": "segment.entered", "segment": sid},
        "actions": [{"type": "update_record", "values": {"note": '"待回访"'}}],
    }
    made = server.api("POST", f"/api/v1/apps/{app}/rules", rule)
    base = f"/api/v1/apps/{app}/tables/customers/records"
    li = server.api("GET", f"{base}/{ids['李娜']}")
    old = (date.today() - timedelta(days=120)).isoformat()
    server.api("PATCH", f"{base}/{ids['李娜']}", {"version": li["version"], "last_contact": old})
    wait_until(
        lambda: server.api("GET", f"{base}/{ids['李娜']}").get("note") == "待回访",
        "the rule on entering the segment",
    )
    seg = server.api("GET", f"/api/v1/apps/{app}/segments/{sid}")
    assert seg["member_count"] == 2
    page.reload()
    page.wait_for_selector("[data-test=segment-members]")
    wait_until(lambda: len(page.locator("[data-test=member-title]").all_inner_texts()) == 2, "2")
    page.get_by_role("tab", name=re.compile("进出记录")).click()
    page.wait_for_selector("[data-test=segment-history]")
    assert "李娜" in page.locator("[data-test=segment-history]").inner_text()
    snap(page, "segment-history")
    # the rule in the rule builder: "a record enters a segment", this one
    page.goto(f"{server.url}/apps/{app}/rules/{made['id']}")
    page.wait_for_selector("[data-test=trigger-segment]")
    wait_until(
        lambda: "沉睡VIP" in page.locator("[data-test=trigger-segment]").inner_text(),
        "the segment in the trigger form",
        seconds=15,
    )
    snap(page, "rule-segment-trigger")
    page.goto(f"{server.url}/apps/{app}/segments")
    page.wait_for_selector("[data-test=segment-count]")
    assert page.locator("[data-test=segment-count]").all_inner_texts() == ["2"]
    snap(page, "segment-list")

    # a phone, in English
    open_as(page, f"{server.url}/apps/{app}/segments/{sid}", (390, 844), "en")
    page.wait_for_selector("[data-test=segment-members] [data-test=member-title]")
    page.wait_for_selector("[data-test=segment-chart] canvas")
    snap(page, "segment-page")
    page.goto(f"{server.url}/apps/{app}/segments")
    page.wait_for_selector("[data-test=segment-row]")
    snap(page, "segment-list")
    page.goto(f"{server.url}/apps/{app}/segments/{sid}/edit")
    page.wait_for_selector("[data-test=segment-preview-count]")
    snap(page, "segment-editor")
    open_as(page, f"{server.url}/apps/{app}", (1440, 900), "zh-CN")
