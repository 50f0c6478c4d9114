"""The widget editor in a real browser, opened from the dashboard builder (apps/:app/dashboards/
:id?edit=1, 添加组件): a bar chart grouped by a select field, cut to the top 3, then the same
data as a number card with thresholds and titles in both languages, saved into the dashboard;
measures that offer only the fields of a type they take, and the server's refusal of a formula
over a text field shown under the formula (the save refused too); a grouping through a relation
(客户 › 城市) on the China map, a donut, and a click on a bar of the preview that opens the grid
filtered to that bar's records; a KPI of the library with parameters of its own, as a card
compared with the period before and split into bars. Charts are checked by what ECharts holds
(its option) and by the pixels it painted, against the numbers the API gives. Screenshots at
1440×900 and 390×844 in zh-CN and en."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import expect
from ui import grid_column, switch_language
from webserver import Server

APP = "general_aviation"
BASE = f"/api/v1/apps/{APP}"

#: The preview's ECharts instance (EChart.vue keeps it on its element as ``__chart``).
CHART = "document.querySelector('[data-test=widget-preview] .echart').__chart"
#: The theme's green, the first colour of a widget without colours of its own: rgb.
GREEN = (31, 111, 92)
#: A province without a value on the map (options.ts ``areaColor``).
EMPTY_AREA = (242, 244, 245)


def new_dashboard(server: Server, key: str) -> int:
    """An empty dashboard to build in (the dashboard list's own test makes them in the UI)."""
    return server.api("POST", f"{BASE}/dashboards", {"key": key, "name": f"组件编辑 {key}"})["id"]


def open_editor(page: Any, server: Server, dashboard: int) -> Any:
    page.goto(f"{server.url}/apps/{APP}/dashboards/{dashboard}?edit=1")
    page.locator("[data-test=add-widget]").click()
    editor = page.locator("[data-test=widget-editor]")
    editor.wait_for()
    return editor


def start_widget(page: Any, server: Server, key: str, table: str | None = None) -> tuple[int, Any]:
    """A new dashboard ``key`` and the widget editor open on it, its data from ``table`` (the
    table's name as the select shows it) when given."""
    dashboard = new_dashboard(server, key)
    editor = open_editor(page, server, dashboard)
    if table:
        choose(page, editor.locator("[data-test=widget-table]"), table)
    return dashboard, editor


def group_by(page: Any, editor: Any, name: str) -> None:
    """Add a grouping by the field named ``name``."""
    editor.locator("[data-test=add-dimension]").click()
    choose(page, editor.locator("[data-test=dimension-field]"), name)


def number_card(editor: Any) -> Any:
    """Make the widget a number card; its (one) measure row."""
    editor.locator("[data-test=chart-type-number]").click()
    return editor.locator("[data-test=measure-row]").first


def measure_fields(page: Any, measure: Any, agg: str) -> list[str]:
    """The fields a measure row offers once its aggregation is ``agg``."""
    choose(page, measure.locator("[data-test=measure-agg]"), agg)
    return field_options(page, measure.locator("[data-test=measure-field]"))


def drawn(page: Any) -> Any:
    """The preview, once the server answered the latest change and ECharts drew it."""
    expect(page.locator("[data-test=widget-preview]")).to_have_attribute("data-busy", "false")
    chart = page.locator("[data-test=widget-preview] [data-test=widget-chart]")
    expect(chart).to_have_attribute("data-state", "drawn")
    return chart


def option(page: Any) -> dict[str, Any]:
    return page.evaluate(f"JSON.parse(JSON.stringify({CHART}.getOption()))")


def pixel(page: Any, point: list[float]) -> tuple[int, int, int]:
    """The colour the preview's canvas has at ``point`` (chart pixels)."""
    rgba = page.evaluate(
        """([x, y]) => {
          const canvas = document.querySelector('[data-test=widget-preview] .echart canvas')
          const r = devicePixelRatio
          return Array.from(canvas.getContext('2d').getImageData(x * r, y * r, 1, 1).data)
        }""",
        point,
    )
    return rgba[0], rgba[1], rgba[2]


def count_pixels(page: Any, rgb: tuple[int, int, int]) -> int:
    """How many pixels of the preview's canvas are (nearly) ``rgb``."""
    return page.evaluate(
        """([r0, g0, b0]) => {
          const c = document.querySelector('[data-test=widget-preview] .echart canvas')
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data
          let n = 0
          for (let i = 0; i < d.length; i += 4)
            if (Math.abs(d[i] - r0) + Math.abs(d[i + 1] - g0) + Math.abs(d[i + 2] - b0) < 12 && d[i + 3] > 200) n++
          return n
        }""",
        list(rgb),
    )


def query(server: Server, spec: dict[str, Any]) -> list[dict[str, Any]]:
    return server.api("POST", f"{BASE}/reports/datasets/query", spec)["rows"]


def shanghai_customers(server: Server) -> set[int]:
    """The ids of the customers in 上海."""
    page = server.api(
        "POST",
        f"{BASE}/tables/customers/records/query",
        {"filter": {"field": "city", "op": "eq", "value": "上海"}, "limit": 1000},
    )
    return {r["id"] for r in page["items"]}


def saved_widgets(server: Server, dashboard: int) -> list[dict[str, Any]]:
    return server.api("GET", f"{BASE}/dashboards/{dashboard}")["widgets"]


def save_widget_and_dashboard(page: Any, editor: Any, dashboard: int) -> None:
    """Save the widget (the editor closes), then the dashboard, until the server holds the one
    widget."""
    editor.locator("[data-test=widget-save]").click()
    expect(editor).to_have_count(0)
    page.locator("[data-test=dash-save]").click()
    page.wait_for_function(
        "id => fetch(`/api/v1/apps/general_aviation/dashboards/${id}`)"
        ".then(r => r.json()).then(d => d.widgets.length === 1)",
        arg=dashboard,
    )


def choose(page: Any, select: Any, option: str) -> None:
    """Open an el-select and click its own option with exactly this text (the list of another
    select still fading out may hold a longer text with the same start: 客户 / 客户满意度)."""
    select.locator(".el-select__wrapper").first.click()
    listbox = select.locator("input").first.get_attribute("aria-controls")
    item = page.locator(f"[id='{listbox}'] .el-select-dropdown__item").filter(
        has_text=re.compile(rf"^\s*{re.escape(option)}\s*$")
    )
    item.first.click()


def field_options(page: Any, select: Any) -> list[str]:
    """The options an el-select offers (its own list: opened, read, closed again)."""
    select.locator(".el-select__wrapper").first.click()
    listbox = select.locator("input").first.get_attribute("aria-controls")
    items = page.locator(f"[id='{listbox}'] .el-select-dropdown__item")
    items.first.wait_for()
    texts = items.all_inner_texts()
    select.locator(".el-select__wrapper").first.click()
    return [t.strip() for t in texts]


def test_a_bar_chart_cut_to_the_top_three_then_a_number_card_saved_in_the_dashboard(
    signed_in: Any, server: Server, shoot: Callable[[Any, str], Path]
) -> None:
    page = signed_in
    dashboard, editor = start_widget(page, server, "we_bar", "服务工单")
    expect(page.locator("[data-test=preview-missing]")).to_have_text("此图表类型需要一个分组")
    group_by(page, editor, "状态")
    drawn(page)

    # The bars are the records per status, as the API counts them, and ECharts painted them.
    rows = query(server, {"table": "service_tickets", "dimensions": [{"field": "status"}]})
    by_label = {r["labels"][0]: r["values"][0] for r in rows}
    opt = option(page)
    labels = opt["xAxis"][0]["data"]
    assert set(labels) == set(by_label)
    assert [opt["series"][0]["data"][i] for i in range(len(labels))] == [
        by_label[x] for x in labels
    ]
    assert count_pixels(page, GREEN) > 500

    # Sorted by the count, highest first, and only the top 3.
    choose(page, editor.locator("[data-test=sort-key]"), "记录数")
    editor.locator("[data-test=top-n] input").fill("3")
    editor.locator("[data-test=top-n] input").press("Tab")
    expect(page.locator("[data-test=widget-preview] .echart")).to_be_visible()
    page.wait_for_function(f"{CHART}.getOption().xAxis[0].data.length === 3")
    drawn(page)
    top = sorted(by_label.values(), reverse=True)[:3]
    assert option(page)["series"][0]["data"] == top
    shoot(page, "widget-editor-bar")

    # The same records as one number, red beyond the red line, titled in both languages.
    editor.locator("[data-test=chart-type-number]").click()
    total = sum(by_label.values())
    value = page.locator("[data-test=widget-preview] [data-test=number-value]")
    expect(value).to_have_text(f"{total:,}")
    editor.locator("input[data-test=title-zh]").fill("工单总数")
    editor.locator("input[data-test=title-en]").fill("Tickets")
    editor.locator("[data-test=thresholds-on]").click()
    editor.locator("[data-test=threshold-amber] input").fill(str(total // 2))
    editor.locator("[data-test=threshold-red] input").fill(str(total - 1))
    editor.locator("[data-test=threshold-red] input").press("Tab")
    expect(page.locator("[data-test=widget-preview] [data-test=number-level]")).to_have_text("告警")
    expect(value).to_have_css("color", "rgb(212, 56, 13)")
    expect(page.locator("[data-test=widget-preview]")).to_contain_text("工单总数")
    shoot(page, "widget-editor-number")

    save_widget_and_dashboard(page, editor, dashboard)
    [w] = saved_widgets(server, dashboard)
    assert w["type"] == "number"
    assert w["title"] == "工单总数"
    assert w["settings"]["title_zh"] == "工单总数"
    assert w["settings"]["title_en"] == "Tickets"
    assert w["settings"]["thresholds"] == {
        "amber": total // 2,
        "red": total - 1,
        "direction": "above",
    }
    assert w["dataset"]["table"] == "service_tickets"
    assert [m["agg"] for m in w["dataset"]["measures"]] == ["count"]
    assert w["dataset"]["dimensions"] == []
    # The dashboard shows it as the editor did.
    card = page.locator(f"[data-test=widget][data-id={w['id']}]")
    expect(card.locator("[data-test=widget-title]")).to_have_text("工单总数")
    expect(card.locator("[data-test=number-value]")).to_have_text(f"{total:,}")


def test_measures_offer_fields_of_their_type_and_the_servers_errors_show_by_the_input(
    signed_in: Any, server: Server, shoot: Callable[[Any, str], Path]
) -> None:
    page = signed_in
    _, editor = start_widget(page, server, "we_errors", "服务工单")
    measure = number_card(editor)

    sums = measure_fields(page, measure, "求和")
    # The number fields, the ticket's own and its customer's and aircraft's: no text, no date.
    assert sums == [
        "费用",
        "客户 › 年飞行小时",
        "客户 › 信用额度",
        "客户 › 满意度",
        "飞机 › 总飞行小时",
    ]
    mins = measure_fields(page, measure, "最小值")
    assert {"费用", "截止日期", "创建时间"} <= set(mins)
    assert "标题" not in mins and "状态" not in mins
    assert "客户 › 城市" not in mins and "客户 › 签约日期" in mins

    # A formula may still name a text field: the server says why, under the formula.
    choose(page, measure.locator("[data-test=measure-agg]"), "公式")
    formula = measure.locator("textarea[data-test=formula]")
    formula.fill("SUM({title})")
    error = measure.locator("[data-test=formula-error]")
    expect(error).to_contain_text("title")
    expect(page.locator("[data-test=preview-invalid]")).to_be_visible()
    shoot(page, "widget-editor-error")
    editor.locator("[data-test=widget-save]").click()
    expect(error).to_be_visible()
    expect(editor).to_be_visible()  # refused: the editor stays, nothing added

    formula.fill("SUM({cost}) / COUNT()")
    expect(error).to_have_count(0)
    [row] = query(
        server,
        {
            "table": "service_tickets",
            "measures": [{"agg": "sum", "field": "cost"}, {"agg": "count"}],
        },
    )
    total, n = row["values"]
    expected = total / n
    value = page.locator("[data-test=widget-preview] [data-test=number-value]")
    expect(value).to_have_text(f"{expected:,.0f}" if expected >= 100 else f"{expected:,.2f}")
    editor.locator("[data-test=widget-save]").click()
    expect(editor).to_have_count(0)
    expect(page.locator("[data-test=widget]")).to_have_count(1)


def test_a_formula_over_the_quote_lines_is_summed_but_not_grouped_by(
    signed_in: Any, server: Server, shoot: Callable[[Any, str], Path]
) -> None:
    page = signed_in
    _, editor = start_widget(page, server, "we_formula", "报价单")
    measure = number_card(editor)

    # The quote's total and subtotal are formulas (over its lines): a sum offers them.
    sums = measure_fields(page, measure, "求和")
    assert {"报价总额", "明细合计", "优惠金额"} <= set(sums)
    choose(page, measure.locator("[data-test=measure-field]"), "报价总额")
    [row] = query(server, {"table": "quotes", "measures": [{"agg": "sum", "field": "quote_total"}]})
    [total] = row["values"]
    assert total > 0
    value = page.locator("[data-test=widget-preview] [data-test=number-value]")
    expect(value).to_have_text(f"{total:,.0f}")
    shoot(page, "widget-editor-formula-sum")

    # Nothing groups by a formula: a bar's groupings do not offer it.
    editor.locator("[data-test=chart-type-bar]").click()
    editor.locator("[data-test=add-dimension]").click()
    groups = field_options(page, editor.locator("[data-test=dimension-field]"))
    assert "状态" in groups and "报价总额" not in groups and "明细合计" not in groups


def test_a_grouping_through_a_relation_on_the_china_map_a_donut_and_a_drill_from_the_preview(
    signed_in: Any, server: Server, shoot: Callable[[Any, str], Path]
) -> None:
    page = signed_in
    _, editor = start_widget(page, server, "we_map", "服务工单")
    editor.locator("[data-test=chart-type-china_map]").click()
    group_by(page, editor, "客户 › 城市")
    drawn(page)

    rows = query(server, {"table": "service_tickets", "dimensions": [{"field": "customer.city"}]})
    per_city = {r["labels"][0]: r["values"][0] for r in rows}
    assert per_city.get("上海"), per_city  # the demo has customers in 上海
    opt = option(page)
    series = opt["series"][0]
    assert series["nameMap"]["上海"] == "上海市"
    shanghai = next(d for d in series["data"] if d["name"] == "上海市")
    assert shanghai["value"] == per_city["上海"]
    # Painted: 上海 (the server's 上海市 on the map's region 上海) in the scale's colour, Tibet
    # (no value) in the empty colour; the cities that are no province listed under the map.
    at = page.evaluate(
        f"[[121.47, 31.23], [91.11, 29.65]].map(p => {CHART}.convertToPixel({{seriesIndex: 0}}, p))"
    )
    assert pixel(page, at[0]) not in (EMPTY_AREA, (255, 255, 255))
    assert pixel(page, at[1]) == EMPTY_AREA
    expect(page.locator("[data-test=map-unmatched]")).to_contain_text("广州")
    shoot(page, "widget-editor-map")

    editor.locator("[data-test=chart-type-donut]").click()
    drawn(page)
    pie = option(page)["series"][0]
    assert pie["type"] == "pie" and pie["radius"][0] != 0
    assert sorted(d["value"] for d in pie["data"]) == sorted(per_city.values())
    assert count_pixels(page, GREEN) > 200

    # A bar of the preview opens the grid with that bar's records (a new tab: the editor stays).
    editor.locator("[data-test=chart-type-bar]").click()
    drawn(page)
    opt = option(page)
    i = opt["xAxis"][0]["data"].index("上海")
    point = page.evaluate(
        f"([i, v]) => {{ const p = {CHART}.convertToPixel({{seriesIndex: 0}}, [i, v / 2]);"
        " const r = document.querySelector('[data-test=widget-preview] .echart')"
        ".getBoundingClientRect(); return [r.left + p[0], r.top + p[1]] }",
        [i, per_city["上海"]],
    )
    with page.context.expect_page() as opened:
        page.mouse.click(*point)
    grid = opened.value
    grid.wait_for_url(re.compile(r"/tables/service_tickets\?filter="))
    tree = json.loads(parse_qs(urlparse(grid.url).query)["filter"][0])
    records = server.api(
        "POST", f"{BASE}/tables/service_tickets/records/query", {"filter": tree, "limit": 1000}
    )
    assert len(records["items"]) == per_city["上海"]
    assert {r["customer"] for r in records["items"]} <= shanghai_customers(server)
    expect(grid.locator(".el-table-v2__row [data-field=ticket_no]")).to_have_count(per_city["上海"])
    assert set(grid_column(grid, "ticket_no")) == {r["ticket_no"] for r in records["items"]}
    grid.close()
    expect(editor).to_be_visible()


def test_a_kpi_with_its_own_parameters_compared_with_the_period_before_and_split(
    signed_in: Any, server: Server, shoot: Callable[[Any, str], Path]
) -> None:
    page = signed_in
    dashboard, editor = start_widget(page, server, "we_kpi")
    editor.locator("[data-test=source-kpi]").click()
    choose(page, editor.locator("[data-test=kpi-select]"), "客户满意度（CSAT）")
    expect(editor.locator("[data-test=kpi-definition]")).to_contain_text("满意")
    mapped = editor.locator("[data-test=kpi-use-mapping]")
    if mapped.count() and "is-checked" in (mapped.get_attribute("class") or ""):
        mapped.click()  # the app maps CSAT already: this widget takes parameters of its own
    choose(page, editor.locator("[data-test=kpi-param-table]"), "客户")
    choose(page, editor.locator("[data-test=kpi-param-score_field]"), "满意度")
    choose(page, editor.locator("[data-test=kpi-param-date_field]"), "签约日期")
    choose(page, editor.locator("[data-test=kpi-period]"), "最近 N 天")
    editor.locator("[data-test=kpi-days] input").fill("365")
    editor.locator("[data-test=kpi-days] input").press("Tab")
    editor.locator("[data-test=chart-type-number]").click()

    params = {
        "table": "customers",
        "score_field": "rating",
        "date_field": "signed_on",
        "period": {"preset": "last_n_days", "days": 365},
    }
    k = server.api("POST", f"{BASE}/reports/kpis/csat", params)
    value = page.locator("[data-test=widget-preview] [data-test=number-value]")
    expect(value).to_have_text(f"{k['value']:.2f}".rstrip("0").rstrip(".") + "%")
    if k["change"] is not None:  # customers signed in the year before: compared with it
        change = page.locator("[data-test=widget-preview] [data-test=number-change]")
        expect(change).to_contain_text("个百分点")
        arrow = "▲" if k["change"] > 0 else "▼" if k["change"] < 0 else "■"
        expect(change).to_contain_text(arrow)
    shoot(page, "widget-editor-kpi")

    editor.locator("[data-test=chart-type-bar]").click()
    choose(page, editor.locator("[data-test=kpi-split]"), "客户等级")
    drawn(page)
    split = server.api("POST", f"{BASE}/reports/kpis/csat", {**params, "split": {"field": "tier"}})
    opt = option(page)
    assert opt["xAxis"][0]["data"] == [g["label"] for g in split["groups"]]
    assert opt["series"][0]["data"] == [g["value"] for g in split["groups"]]
    save_widget_and_dashboard(page, editor, dashboard)
    [w] = saved_widgets(server, dashboard)
    assert w["type"] == "bar"
    assert w["title"] == "客户满意度（CSAT）"  # none given: the KPI's name
    assert w["kpi"] == {"key": "csat", "params": {**params, "split": {"field": "tier"}}}


def test_the_editor_at_phone_width_and_in_english(
    signed_in: Any, server: Server, shoot: Callable[[Any, str], Path]
) -> None:
    """The editor in both languages at desk and phone width: on a phone the drawer is the whole
    screen, the preview above the form, every input as wide as the form, nothing wider."""
    page = signed_in
    dashboard = new_dashboard(server, "we_phone")
    try:
        for lang, width, height in (
            ("zh-CN", 390, 844),
            ("en", 390, 844),
            ("en", 1440, 900),
        ):
            page.set_viewport_size({"width": width, "height": height})
            if page.evaluate("document.documentElement.lang") != lang:
                switch_language(page, lang)
            editor = open_editor(page, server, dashboard)
            # The app's own names (its data) stay as the app has them in either language.
            choose(page, editor.locator("[data-test=widget-table]"), "服务工单")
            group_by(page, editor, "状态")
            drawn(page)
            bar = "柱状图" if lang == "zh-CN" else "Bar"
            expect(editor.locator("[data-test=chart-type-bar]")).to_contain_text(bar)
            fits = page.evaluate(
                """() => {
                  const ed = document.querySelector('[data-test=widget-editor]')
                  const drawer = ed.closest('.el-drawer')
                  const form = ed.querySelector('.we-form').getBoundingClientRect()
                  const preview = ed.querySelector('[data-test=widget-preview]').getBoundingClientRect()
                  return { drawer: drawer.getBoundingClientRect().width, inner: innerWidth,
                           overflow: ed.scrollWidth - ed.clientWidth, form: form.width,
                           previewAbove: preview.bottom <= form.top + 1,
                           table: document.querySelector('[data-test=widget-table]').getBoundingClientRect().width }
                }"""
            )
            assert fits["overflow"] <= 1, fits
            if width < 768:
                assert abs(fits["drawer"] - fits["inner"]) <= 1, fits
                assert fits["previewAbove"], fits
                assert fits["table"] >= fits["form"] - 2 and fits["form"] >= width - 40, fits
            shoot(page, "widget-editor")
            editor.locator("[data-test=widget-cancel]").click()
            expect(editor).to_have_count(0)
    finally:
        page.set_viewport_size({"width": 1440, "height": 900})
