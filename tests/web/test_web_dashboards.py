"""Dashboards in the browser (issue 18), on the demo app's service tickets:

- a dashboard built in the builder alone (a KPI number card, a bar chart, a pie with a drill
  level), saved; its charts drawn (the ECharts option read back from each chart and compared
  with the data API); a click on a bar lands on the grid filtered to exactly that bar's records
  (the count shown, and the records API with the address's filter, equal the bar), and the
  grid goes back to its own filter;
- a pie drilled level by level (priority → status) with the breadcrumb back, its last level
  opening the records;
- a date filter added in the builder and set to a preset: every widget follows (each equal to
  the data API under the same value, none as before);
- a save over someone else's newer version refused and said (409), then reloaded;
- TV mode at 1920×1080: dark, no menus, the last refresh time, refreshed by itself (a new ticket
  counted without a reload);
- the pages at 1440×900 and 390×844 (widgets in one column), TV at 1920×1080, in Chinese and
  English (screenshots under test-output/web).

The module runs its own server with ``CAIRN_TEST_CLOCK=true``; the app's resolution-rate KPI
is mapped to the tickets (what the KPI page does) before the widgets use it."""

from __future__ import annotations

import itertools
import json
import re
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from ui import choose, switch_language, type_into
from webserver import Server, launch_with_clock

APP = "general_aviation"
TICKETS = "service_tickets"
D = f"/api/v1/apps/{APP}/dashboards"
KPI_PARAMS = {
    "table": TICKETS,
    "date_field": "opened_at",
    "match_filter": {"field": "status", "op": "in", "value": ["已解决", "已关闭"]},
}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "timezone_id": "Asia/Shanghai"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with launch_with_clock(tmp_path_factory, "cairn-dashboards") as s:
        s.api("PUT", f"/api/v1/apps/{APP}/kpi-mappings/resolution_rate", {"params": KPI_PARAMS})
        yield s


WIDGETS: list[dict[str, Any]] = [
    {"id": "rate", "type": "number", "title": "解决率", "settings": {"title_en": "Resolution rate"},
     "layout": {"x": 0, "y": 0, "w": 4, "h": 5}, "kpi": {"key": "resolution_rate", "params": {}}},
    {"id": "status", "type": "bar", "title": "按状态", "settings": {"title_en": "By status"},
     "layout": {"x": 4, "y": 0, "w": 8, "h": 8},
     "dataset": {"table": TICKETS, "dimensions": [{"field": "status"}]}},
    {"id": "priority", "type": "pie", "title": "按优先级", "settings": {"title_en": "By priority", "drill_levels": [{"field": "status"}]},
     "layout": {"x": 0, "y": 5, "w": 4, "h": 8},
     "dataset": {"table": TICKETS, "dimensions": [{"field": "priority"}]}},
    {"id": "monthly", "type": "line", "title": "每月新建", "settings": {"title_en": "Opened per month"},
     "layout": {"x": 4, "y": 8, "w": 8, "h": 6},
     "dataset": {"table": TICKETS, "dimensions": [{"field": "opened_at", "bucket": "month"}]}},
]  # fmt: skip


def _board(server: Server, key: str, filters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A dashboard made through the API, for the tests that are not about building one."""
    body = {"key": key, "name": f"工单概览 {key}", "widgets": WIDGETS, "filters": filters or []}
    return server.api("POST", D, body)


def _data(server: Server, board: dict[str, Any], values: dict[str, Any] | None = None) -> Any:
    q = f"?filters={urllib.parse.quote(json.dumps(values))}" if values else ""
    return server.api("GET", f"{D}/{board['id']}/data{q}")["widgets"]


def _input(scope: Any) -> Any:
    return scope.locator("xpath=descendant-or-self::input").first


def _widget(page: Any, wid: str) -> Any:
    return page.locator(f"[data-test=widget][data-id={wid}]")


def _drawn(page: Any, wid: str) -> None:
    """The widget's chart has finished drawing (an HTML card: is shown)."""
    _widget(page, wid).locator(
        "[data-test=widget-chart][data-state=drawn], [data-test=widget-chart][data-state=html]"
    ).wait_for()


def _series(page: Any, wid: str) -> list[list[Any]]:
    """What the widget's ECharts instance holds now: each series' values."""
    return page.evaluate(
        """(wid) => {
          const el = document.querySelector(`[data-test=widget][data-id="${wid}"] .echart`)
          const o = el.__chart.getOption()
          return o.series.map((s) => s.data.map((d) => (d !== null && typeof d === 'object' ? d.value : d)))
        }""",
        wid,
    )


def _api_series(data: dict[str, Any]) -> list[list[Any]]:
    return [[d["value"] if isinstance(d, dict) else d for d in s["data"]] for s in data["series"]]


def _canvas_painted(page: Any, wid: str) -> bool:
    """Pixels: the chart's canvas has more than its background (something was painted)."""
    return page.evaluate(
        """(wid) => {
          const c = document.querySelector(`[data-test=widget][data-id="${wid}"] canvas`)
          const x = c.getContext('2d').getImageData(0, 0, c.width, c.height).data
          let painted = 0
          for (let i = 0; i < x.length; i += 16) if (x[i + 3] > 0 && (x[i] < 230 || x[i + 1] < 230 || x[i + 2] < 230)) painted++
          return painted > 50
        }""",
        wid,
    )


def _click_point(page: Any, wid: str, index: int) -> None:
    """A real mouse click on the index-th bar or slice of the widget's chart, once no request
    is in flight (a chart drawn again under the mouse would lose the click)..."""
    page.wait_for_load_state("networkidle")
    _widget(page, wid).scroll_into_view_if_needed()
    # ... nor while it animates (a slice growing is not yet where its layout says).
    page.wait_for_function(
        """(wid) => document.querySelector(`[data-test=widget][data-id="${wid}"] .echart`)
          .__chart.getZr().animation.isFinished()""",
        arg=wid,
    )
    x, y = page.evaluate(
        """([wid, i]) => {
          const el = document.querySelector(`[data-test=widget][data-id="${wid}"] .echart`)
          const c = el.__chart
          const r = el.getBoundingClientRect()
          const s = c.getOption().series[0]
          if (s.type === 'pie') {
            const l = c.getModel().getSeriesByIndex(0).getData().getItemLayout(i)
            const a = (l.startAngle + l.endAngle) / 2
            return [r.left + l.cx + Math.cos(a) * l.r * 0.6, r.top + l.cy + Math.sin(a) * l.r * 0.6]
          }
          const v = s.data[i]
          const value = v !== null && typeof v === 'object' ? v.value : v
          const p = c.convertToPixel({ seriesIndex: 0 }, [i, value / 2])
          return [r.left + p[0], r.top + p[1]]
        }""",
        [wid, index],
    )
    page.mouse.click(x, y)


def _count(page: Any) -> int:
    text = page.locator("[data-test=record-count]").inner_text()
    found = re.search(r"\d+", text)
    assert found, text
    return int(found.group())


def _query_total(server: Server, node: Any) -> int:
    page = server.api(
        "POST",
        f"/api/v1/apps/{APP}/tables/{TICKETS}/records/query",
        {"filter": node, "limit": 1, "count": True},
    )
    return page["total"]


def _address_filter(page: Any) -> Any:
    query = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    return json.loads(query["filter"][0])


def _open_editor(page: Any) -> Any:
    page.locator("[data-test=add-widget]").click()
    editor = page.locator("[data-test=widget-editor]")
    editor.wait_for()
    # The drawer says what it is in the reader's language (not a text key).
    title = page.locator("[data-test=widget-editor-drawer] .el-drawer__title")
    expect(title).not_to_contain_text("reports.")
    expect(title).not_to_be_empty()
    return editor


def _save_widget(page: Any, editor: Any) -> None:
    editor.locator("[data-test=widget-preview] [data-test=widget-chart]").wait_for()
    editor.locator("[data-test=widget-save]").click()
    expect(page.locator("[data-test=widget-editor]")).to_have_count(0)


def _dataset_widget(page: Any, kind: str, field: str, title: str, title_en: str) -> None:
    editor = _open_editor(page)
    choose(page, editor.locator("[data-test=widget-table]"), "服务工单")
    editor.locator("[data-test=add-dimension]").click()
    choose(page, editor.locator("[data-test=dimension-field]").last, field)
    editor.locator(f"[data-test=chart-type-{kind}]").click()
    type_into(editor.locator("[data-test=title-zh]"), title)
    type_into(editor.locator("[data-test=title-en]"), title_en)
    _save_widget(page, editor)


def test_a_dashboard_built_in_the_browser_drills_from_a_bar_to_its_records(
    signed_in: Any, server: Server, shoot: Callable[[Any, str], Path]
) -> None:
    page = signed_in
    page.goto(f"{server.url}/apps/{APP}")
    page.locator("[data-test=menu-dashboards]").click()
    page.locator("[data-test=dashboard-list]").wait_for()
    page.locator("[data-test=new-dashboard]").click()
    type_into(page.locator("[data-test=dashboard-name]"), "服务驾驶舱")
    page.locator("[data-test=dashboard-save]").click()
    page.wait_for_url(re.compile(r"/dashboards/\d+\?edit=1"))
    board_id = int(re.search(r"/dashboards/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    page.locator("[data-test=builder-tag]").wait_for()

    # A KPI number card: the resolution rate as the app maps it.
    editor = _open_editor(page)
    editor.locator("[data-test=source-kpi]").click()
    choose(page, editor.locator("[data-test=kpi-select]"), "解决率")
    editor.locator("[data-test=chart-type-number]").click()
    type_into(editor.locator("[data-test=title-zh]"), "解决率")
    _save_widget(page, editor)
    # A bar chart of the tickets by status, a pie by priority that drills down to the status.
    _dataset_widget(page, "bar", "状态", "按状态", "By status")
    _dataset_widget(page, "pie", "优先级", "按优先级", "By priority")
    expect(page.locator("[data-test=widget]")).to_have_count(3)
    pie = page.locator("[data-test=widget][data-type=pie]")
    pie.locator("[data-test=widget-menu-button]").click()
    page.locator(".el-dropdown-menu__item[data-test=widget-levels]:visible").click()
    page.locator("[data-test=drill-level-add]").click()
    choose(page, page.locator("[data-test=drill-level-field]"), "状态")
    page.locator("[data-test=drill-levels-apply]").click()
    shoot(page, "dashboard-builder")
    page.locator("[data-test=dash-save]").click()
    page.wait_for_url(re.compile(rf"/dashboards/{board_id}$"))

    saved = server.api("GET", f"{D}/{board_id}")
    by_type = {w["type"]: w for w in saved["widgets"]}
    assert set(by_type) == {"number", "bar", "pie"}
    assert by_type["number"]["kpi"]["key"] == "resolution_rate"
    assert by_type["bar"]["dataset"]["dimensions"] == [{"field": "status"}]
    assert by_type["pie"]["settings"]["drill_levels"] == [{"field": "status"}]

    # Drawn: each chart holds what the data API gives, and its canvas is painted.
    data = server.api("GET", f"{D}/{board_id}/data")["widgets"]
    for w in saved["widgets"]:
        _drawn(page, w["id"])
    bar, pie_id, kpi = by_type["bar"]["id"], by_type["pie"]["id"], by_type["number"]["id"]
    assert _series(page, bar) == _api_series(data[bar]["data"])
    assert _series(page, pie_id) == _api_series(data[pie_id]["data"])
    assert _canvas_painted(page, bar) and _canvas_painted(page, pie_id)
    rate = data[kpi]["data"]["value"]
    expect(_widget(page, kpi).locator("[data-test=number-value]")).to_contain_text(
        f"{rate:.2f}".rstrip("0").rstrip(".")
    )
    shoot(page, "dashboard")

    # A click on the 处理中 bar: the grid with exactly those records.
    x_keys = data[bar]["data"]["x_keys"]
    at = x_keys.index("in_progress") if "in_progress" in x_keys else 0
    expected = data[bar]["data"]["series"][0]["data"][at]
    _click_point(page, bar, at)
    page.wait_for_url(re.compile(rf"/apps/{APP}/tables/{TICKETS}\?filter="))
    page.locator("[data-test=linked-filter]").wait_for()
    expect(page.locator("[data-test=record-count]")).to_contain_text(str(expected))
    assert _count(page) == expected
    assert _query_total(server, _address_filter(page)) == expected
    page.locator("[data-test=filter-button]").click()
    expect(page.locator("[data-test=filter-panel] [data-test=filter-row]").first).to_be_visible()
    page.locator("[data-test=filter-button]").click()
    shoot(page, "dashboard-drill-grid")

    # Back to the grid's own (remembered) filter: none here, every ticket.
    page.locator("[data-test=linked-filter-clear]").click()
    expect(page.locator("[data-test=linked-filter]")).to_have_count(0)
    assert "filter=" not in page.url
    everything = _query_total(server, None)
    expect(page.locator("[data-test=record-count]")).to_contain_text(str(everything))


def test_a_pie_drills_level_by_level_with_a_breadcrumb_back(signed_in: Any, server: Server) -> None:
    page = signed_in
    board = _board(server, "levels")
    page.goto(f"{server.url}/apps/{APP}/dashboards/{board['id']}")
    _drawn(page, "priority")
    top = _series(page, "priority")
    slices = server.api("GET", f"{D}/{board['id']}/data")["widgets"]["priority"]["data"]
    names = [d["name"] for d in slices["series"][0]["data"]]
    _click_point(page, "priority", 0)
    card = _widget(page, "priority")
    expect(card.locator("[data-test=crumb-current]")).to_have_text(names[0])
    # The next level: this priority's tickets by status, adding up to the slice.
    page.wait_for_function(
        """([wid, n]) => {
          const el = document.querySelector(`[data-test=widget][data-id="${wid}"] .echart`)
          const s = el && el.__chart && el.__chart.getOption().series[0]
          return s && s.data.reduce((a, d) => a + d.value, 0) === n
            && s.data.length !== 0 && s.data.some((d) => !['紧急', '高', '中', '低'].includes(d.name))
        }""",
        arg=["priority", top[0][0]],
    )
    second = page.evaluate(
        """() => document.querySelector('[data-test=widget][data-id=priority] .echart').__chart
          .getOption().series[0].data.map((d) => [d.name, d.value])"""
    )
    # Back up the breadcrumb, and down again.
    card.locator("[data-test=crumb-root]").click()
    expect(card.locator("[data-test=crumb-current]")).to_have_count(0)
    page.wait_for_function(
        """(n) => document.querySelector('[data-test=widget][data-id=priority] .echart').__chart
          .getOption().series[0].data.length === n""",
        arg=len(names),
    )
    _click_point(page, "priority", 0)
    expect(card.locator("[data-test=crumb-current]")).to_have_text(names[0])
    page.wait_for_function(
        """(n) => { const s = document.querySelector('[data-test=widget][data-id=priority] .echart').__chart.getOption().series[0]
          return s.data.length === n && s.data.every((d) => !['紧急', '高', '中', '低'].includes(d.name)) }""",
        arg=len(second),
    )
    # The last level opens the records: that priority and that status.
    _click_point(page, "priority", 0)
    page.wait_for_url(re.compile(rf"/tables/{TICKETS}\?filter="))
    assert _query_total(server, _address_filter(page)) == second[0][1]
    expect(page.locator("[data-test=record-count]")).to_contain_text(str(second[0][1]))


def test_a_date_filter_added_in_the_builder_narrows_every_widget(
    signed_in: Any, server: Server
) -> None:
    page = signed_in
    board = _board(server, "dated")
    page.goto(f"{server.url}/apps/{APP}/dashboards/{board['id']}?edit=1")
    page.locator("[data-test=edit-filters]").click()
    page.locator("[data-test=filter-def-add]").click()
    row = page.locator("[data-test=filter-def]")
    expect(row.locator("[data-test=filter-def-field]")).to_contain_text("创建时间")
    page.locator("[data-test=filter-defs-apply]").click()
    page.locator("[data-test=dash-save]").click()
    page.wait_for_url(re.compile(rf"/dashboards/{board['id']}$"))
    saved = server.api("GET", f"{D}/{board['id']}")
    assert saved["filters"] == [
        {"key": "opened_at", "type": "date_range", "field": "opened_at", "label": ""}
    ]

    for w in WIDGETS:
        _drawn(page, w["id"])
    before = {w: _series(page, w) for w in ("status", "priority", "monthly")}
    assert _widget(page, "rate").locator("[data-test=number-change]").count() == 0

    choose(page, page.locator("[data-test=dash-period]"), "最近 N 天")
    type_into(page.locator("[data-test=dash-period-days]"), "60")
    _input(page.locator("[data-test=dash-period-days]")).press("Enter")
    value = {"preset": "last_n_days", "days": 60}
    expect(page).to_have_url(re.compile("filters="))
    want = _data(server, board, {"opened_at": value})
    for wid in ("status", "priority", "monthly"):
        expected = _api_series(want[wid]["data"])
        assert expected != before[wid], wid
        page.wait_for_function(
            """([wid, want]) => {
              const el = document.querySelector(`[data-test=widget][data-id="${wid}"] .echart`)
              const s = el.__chart.getOption().series
              return JSON.stringify(s.map((x) => x.data.map((d) => (d !== null && typeof d === 'object' ? d.value : d)))) === JSON.stringify(want)
            }""",
            arg=[wid, expected],
        )
    # The KPI card: this period's rate, against the 60 days before.
    kpi = want["rate"]["data"]
    assert kpi["previous"] is not None
    expect(_widget(page, "rate").locator("[data-test=number-change]")).to_be_visible()
    expect(_widget(page, "rate").locator("[data-test=number-value]")).to_contain_text(
        f"{kpi['value']:.2f}".rstrip("0").rstrip(".")
    )
    # The filter's value stays in the address: a reload shows the same.
    page.reload()
    expect(page.locator("[data-test=dash-period]")).to_contain_text("最近 N 天")
    expect(_input(page.locator("[data-test=dash-period-days]"))).to_have_value("60")


def _drag(page: Any, handle: Any, dx: float, dy: float) -> None:
    """Press on ``handle`` and move the mouse by (dx, dy) in small steps, then let go."""
    box = handle.bounding_box()
    assert box, "nothing to drag"
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 5, y + 5, steps=3)
    page.mouse.move(x + dx, y + dy, steps=20)
    page.mouse.up()


def test_widgets_are_placed_and_resized_by_dragging(signed_in: Any, server: Server) -> None:
    """In the builder: the KPI card made two columns wider and three rows taller from its
    corner, the line chart dragged by its title bar to the left edge; saved as the layout."""
    page = signed_in
    board = _board(server, "arranged")
    page.goto(f"{server.url}/apps/{APP}/dashboards/{board['id']}?edit=1")
    for w in WIDGETS:
        _drawn(page, w["id"])
    grid = page.locator(".vgl-layout").bounding_box()
    assert grid
    column = (grid["width"] - 12) / 12  # a column and its gap
    row = 40 + 12
    rate = page.locator(".vgl-item", has=_widget(page, "rate"))
    _drag(page, rate.locator(".vgl-item__resizer"), 2 * column, 3 * row)
    monthly = _widget(page, "monthly")
    monthly.scroll_into_view_if_needed()
    _drag(page, monthly.locator(".widget-head"), -4 * column, 0)
    page.locator("[data-test=dash-save]").click()
    page.wait_for_url(re.compile(rf"/dashboards/{board['id']}$"))
    layout = {w["id"]: w["layout"] for w in server.api("GET", f"{D}/{board['id']}")["widgets"]}
    assert (layout["rate"]["w"], layout["rate"]["h"]) == (6, 8), layout
    assert layout["monthly"]["x"] == 0, layout
    # The saved layout is what the page shows.
    for wid in ("rate", "monthly"):
        expect(_widget(page, wid)).to_be_visible()
    box = page.locator(".vgl-item", has=_widget(page, "monthly")).bounding_box()
    assert box and abs(box["x"] - page.locator(".vgl-layout").bounding_box()["x"] - 12) < 4


def test_a_save_over_a_newer_version_is_refused_and_said(signed_in: Any, server: Server) -> None:
    page = signed_in
    board = _board(server, "stale")
    page.goto(f"{server.url}/apps/{APP}/dashboards/{board['id']}?edit=1")
    _drawn(page, "status")
    # Someone else renames it meanwhile.
    theirs = {
        k: board[k] for k in ("key", "description", "position", "widgets", "filters", "roles")
    }
    server.api(
        "PUT",
        f"{D}/{board['id']}",
        {**theirs, "name": "别人改过的名字", "version": board["version"]},
    )
    # Here: the line chart deleted, then saved.
    _widget(page, "monthly").locator("[data-test=widget-menu-button]").click()
    page.locator(".el-dropdown-menu__item[data-test=widget-remove]:visible").click()
    page.locator(".el-message-box .el-button--primary").click()
    expect(page.locator("[data-test=widget]")).to_have_count(3)
    page.locator("[data-test=dash-save]").click()
    box = page.locator(".el-message-box")
    expect(box).to_contain_text("报表已被他人修改")
    assert len(server.api("GET", f"{D}/{board['id']}")["widgets"]) == 4  # nothing saved
    box.locator(".el-button--primary").click()  # reload: theirs
    expect(page.locator("[data-test=dash-title]")).to_have_text("别人改过的名字")
    expect(page.locator("[data-test=widget]")).to_have_count(4)


def _download(page: Any, opener: Any, item: str) -> bytes:
    """Open a menu (once the one before has faded out), click its item, and return the file
    the browser saved."""
    expect(page.locator(".el-dropdown-menu:visible")).to_have_count(0)
    opener.click()
    with page.expect_download(timeout=60_000) as got:
        page.locator(f".el-dropdown-menu__item[data-test={item}]:visible").click()
    return Path(got.value.path()).read_bytes()


def test_a_widget_and_the_dashboard_export_to_files(signed_in: Any, server: Server) -> None:
    """A widget to XLSX (the export endpoint) and PNG (its chart's picture), a number card to
    PNG, the whole dashboard to PNG and PDF."""
    page = signed_in
    board = _board(server, "exported")
    page.goto(f"{server.url}/apps/{APP}/dashboards/{board['id']}")
    for w in WIDGETS:
        _drawn(page, w["id"])
    menu = _widget(page, "status").locator("[data-test=widget-menu-button]")
    assert _download(page, menu, "widget-xlsx")[:2] == b"PK"  # a zip: XLSX
    png = _download(page, menu, "widget-png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000
    card = _widget(page, "rate").locator("[data-test=widget-menu-button]")
    assert _download(page, card, "widget-png")[:4] == b"\x89PNG"
    export = page.locator("[data-test=dash-export-button]")
    whole = _download(page, export, "dash-export-png")
    assert whole[:4] == b"\x89PNG" and len(whole) > len(png)
    pdf = _download(page, export, "dash-export-pdf")
    assert pdf[:5] == b"%PDF-" and len(pdf) < 5_000_000


def test_tv_mode_fills_the_screen_dark_and_refreshes_itself(
    signed_in: Any, server: Server, shoot: Callable[[Any, str], Path]
) -> None:
    page = signed_in
    board = _board(server, "hall")
    page.set_viewport_size({"width": 1920, "height": 1080})
    try:
        page.goto(f"{server.url}/apps/{APP}/dashboards/{board['id']}")
        page.locator("[data-test=dash-tv]").click()
        type_into(page.locator("[data-test=tv-seconds]"), "10")
        page.locator("[data-test=tv-go]").click()
        page.wait_for_url(re.compile(r"/tv\?refresh=10"))
        page.locator("[data-test=tv-page]").wait_for()
        expect(page.locator("[data-test=side-menu]")).to_have_count(0)
        expect(page.locator("[data-test=widget-menu]")).to_have_count(0)
        for w in WIDGETS:
            _drawn(page, w["id"])
        assert (
            page.evaluate(
                "getComputedStyle(document.querySelector('[data-test=tv-page]')).backgroundColor"
            )
            == "rgb(10, 16, 32)"
        )
        # The charts in the dark look: light text on the dark page.
        page.wait_for_function(
            """() => [...document.querySelectorAll('[data-test=widget] .echart')].every((el) => {
              const ts = el.__chart.getOption().textStyle
              return (Array.isArray(ts) ? ts[0] : ts).color === '#e8eef7' })"""
        )
        # Everything fits the screen: no scrolling.
        assert page.evaluate("document.documentElement.scrollHeight <= window.innerHeight + 1")
        first = page.locator("[data-test=tv-last-refresh]").inner_text()
        assert re.fullmatch(r"\d{2}:\d{2}:\d{2}", first), first
        shoot(page, "dashboard-tv")

        # A new ticket: counted at the next refresh, with no reload.
        total = sum(_series(page, "status")[0])
        server.api(
            "POST",
            f"/api/v1/apps/{APP}/tables/{TICKETS}/records",
            {"title": "电视模式新工单", "status": "新建"},
        )
        page.wait_for_function(
            """(n) => document.querySelector('[data-test=widget][data-id=status] .echart').__chart
              .getOption().series[0].data.reduce((a, d) => a + (typeof d === 'object' && d ? d.value : d), 0) === n""",
            arg=total + 1,
            timeout=40_000,
        )
        expect(page.locator("[data-test=tv-last-refresh]")).not_to_have_text(first)
        # In English (TV mode has no language switch: the remembered language).
        page.evaluate("localStorage.setItem('cairn.lang', 'en')")
        page.reload()
        page.wait_for_function("document.documentElement.lang === 'en'")
        for w in WIDGETS:
            _drawn(page, w["id"])
        expect(page.locator("[data-test=tv-refresh]")).to_contain_text("Last refresh")
        shoot(page, "dashboard-tv")
    finally:
        page.set_viewport_size({"width": 1440, "height": 900})
        page.goto(f"{server.url}/apps/{APP}")
        if page.evaluate("document.documentElement.lang") == "en":
            switch_language(page, "zh-CN")


def test_the_pages_at_desk_and_phone_width_in_both_languages(
    signed_in: Any, server: Server, shoot: Callable[[Any, str], Path]
) -> None:
    """The list, a dashboard and its builder with the widget editor open, at desk and phone
    width in Chinese and English: on a phone the widgets stand in one column, full width, and
    nothing is wider than the screen."""
    page = signed_in
    board = _board(server, "looks", [{"key": "period", "type": "date_range", "field": "opened_at"}])
    base = f"{server.url}/apps/{APP}/dashboards"

    def fits() -> None:
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    try:
        for lang, width, height in (
            ("zh-CN", 1440, 900),
            ("zh-CN", 390, 844),
            ("en", 390, 844),
            ("en", 1440, 900),
        ):
            page.set_viewport_size({"width": width, "height": height})
            if page.evaluate("document.documentElement.lang") != lang:
                switch_language(page, lang)
            page.goto(base)
            page.locator("[data-test=dashboard-row]").first.wait_for()
            fits()
            shoot(page, "dashboards")
            page.goto(f"{base}/{board['id']}")
            for w in WIDGETS:
                _drawn(page, w["id"])
            fits()
            if width < 768:
                boxes = [_widget(page, w["id"]).bounding_box() for w in WIDGETS]
                assert len({round(b["x"]) for b in boxes}) == 1, boxes  # one column
                assert all(b["width"] > width * 0.85 for b in boxes), boxes
                tops = sorted(b["y"] for b in boxes)
                assert all(b - a >= 100 for a, b in itertools.pairwise(tops)), tops
            shoot(page, "dashboard")
            page.goto(f"{base}/{board['id']}?edit=1")
            _drawn(page, "status")
            fits()
            shoot(page, "dashboard-builder")
            _widget(page, "status").locator("[data-test=widget-menu-button]").click()
            page.locator(".el-dropdown-menu__item[data-test=widget-edit-item]:visible").click()
            page.locator(
                "[data-test=widget-editor] [data-test=widget-preview] [data-test=widget-chart]"
            ).wait_for()
            shoot(page, "dashboard-widget-editor")
            page.locator("[data-test=widget-editor] [data-test=widget-cancel]").click()
            page.locator("[data-test=dash-cancel]").click()
    finally:
        page.set_viewport_size({"width": 1440, "height": 900})
        if page.evaluate("document.documentElement.lang") == "en":
            switch_language(page, "zh-CN")
