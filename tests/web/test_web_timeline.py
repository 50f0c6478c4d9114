"""The customer timeline in the browser: its settings in the 360° settings page (a source
picked hop by hop, its date, a title built from field chips, saved and read back), and the
timeline on the demo customer's 360° page, at desktop and phone widths in both languages."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from ui import choose, open_as, type_into
from webserver import Server

APP = "general_aviation"
V = f"/api/v1/apps/{APP}/customer-view"
T = f"/api/v1/apps/{APP}/tables"
SHOTS = Path("/tmp/shots-T")


def snap(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or {"width": 0}
    lang = page.evaluate("document.documentElement.lang")
    page.wait_for_timeout(200)
    page.screenshot(path=str(SHOTS / f"{name}-{lang}-{size['width']}.png"))


def test_timeline_settings_add_a_two_hop_source(server: Server, signed_in: Any) -> None:
    page = signed_in
    before = server.api("GET", V)
    try:
        page.goto(f"{server.url}/apps/{APP}/customer-view")
        settings = page.locator("[data-test=timeline-settings]")
        settings.wait_for()
        # The template's sources are there.
        assert page.locator("[data-test^=tl-source-]").count() == len(before["timeline"]["sources"])
        page.locator("[data-test=tl-add-source]").click()
        i = len(before["timeline"]["sources"])
        source = page.locator(f"[data-test=tl-source-{i}]")
        choose(page, source.locator(f"[data-test=tl-hop-{i}-0]"), "飞机")
        source.locator(f"[data-test=tl-add-hop-{i}]").click()
        choose(page, source.locator(f"[data-test=tl-hop-{i}-1]"), "服务工单")
        choose(page, source.locator(f"[data-test=tl-date-{i}]"), "记录创建时间")
        source.locator(f"[data-test=tl-chip-{i}-ticket_no]").click()
        type_into(source.locator(f"[data-test=tl-label-{i}]"), "飞机的工单")
        page.locator("[data-test=cv-save]").click()
        page.locator(".el-message--success").wait_for()
        saved = server.api("GET", V)["timeline"]["sources"][i]
        assert saved["path"] == ["aircraft", "tickets"]
        assert saved["title"] == "{ticket_no}" and saved["label"] == "飞机的工单"
        assert saved["date_field"] is None
        for size in ((1440, 900), (390, 844)):
            for lang in ("zh-CN", "en"):
                open_as(page, f"{server.url}/apps/{APP}/customer-view", size, lang)
                new = page.locator(f"[data-test=tl-source-{i}]")
                new.wait_for()
                new.scroll_into_view_if_needed()
                snap(page, "timeline-settings-source")
                page.locator("[data-test=tl-system]").scroll_into_view_if_needed()
                snap(page, "timeline-settings-system")
    finally:
        server.api("PUT", V, copy.deepcopy(before))


@pytest.mark.parametrize("size", [(1440, 900), (390, 844)], ids=["desktop", "phone"])
def test_the_360_page_shows_the_timeline(
    server: Server, signed_in: Any, size: tuple[int, int]
) -> None:
    page = signed_in
    # The customer with the most tickets: the template's timeline shows them by when they
    # were opened.
    top = server.api(
        "POST",
        f"{T}/customers/records/query",
        {"sort": [{"field": "ticket_count", "direction": "desc"}], "limit": 1},
    )["items"][0]
    cid = top["id"]
    api = server.api("GET", f"{T}/customers/records/{cid}/timeline")
    assert api["entries"], api
    for lang in ("zh-CN", "en"):
        open_as(page, f"{server.url}/apps/{APP}/tables/customers/records/{cid}/360", size, lang)
        timeline = page.locator("[data-test=timeline]")
        timeline.locator("[data-test=timeline-entry]").first.wait_for()
        assert timeline.locator("[data-test=timeline-entry]").count() == len(api["entries"][:50])
        timeline.evaluate("el => el.scrollIntoView({block: 'start'})")
        snap(page, "timeline-360")
