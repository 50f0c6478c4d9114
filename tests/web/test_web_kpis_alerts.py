"""KPIs and alerts in the browser (issue 18), on the demo app:

- the resolution rate of the service tickets mapped on the KPI library page (table, the date
  that places a ticket in a month, "resolved" as a filter): its card shows the value the API
  computes for this month and its last twelve months drawn as a line (the canvas's pixels);
- an alert on that KPI as the app maps it, made in the editor: "dry run now" shows its value;
- an alert on a figure of a table ("new tickets" counted, above today's count, every 15 minutes)
  made in the editor; a ticket opened, the test clock moved 16 minutes on, the alert notifies
  its owner in the bell, and the notification's link opens the alert, its crossing in the
  check log; a dry run now says it is still firing;
- the pages at desk and phone width, in Chinese and English (nothing wider than the screen).

The module runs its own server with ``CAIRN_TEST_CLOCK=true`` (the clock only moves forward)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from ui import choose, switch_language, type_into, wait_until
from webserver import Server, server_with_clock

APP = "general_aviation"
TICKETS = "service_tickets"
KPI = "resolution_rate"
ALERTS = f"/api/v1/apps/{APP}/alerts"
MAPPINGS = f"/api/v1/apps/{APP}/kpi-mappings"
KPI_ALERT = "本月解决率偏低"
COUNT_ALERT = "新建工单积压"

# How many pixels of a canvas are coloured (not white, grey or black): a drawn series' line.
COLOURED = """c => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data
  let n = 0, left = c.width, right = 0
  for (let i = 0; i < d.length; i += 4) {
    if (d[i + 3] < 200) continue
    const hi = Math.max(d[i], d[i + 1], d[i + 2]), lo = Math.min(d[i], d[i + 1], d[i + 2])
    if (hi - lo < 60) continue
    n++
    const x = (i / 4) % c.width
    left = Math.min(left, x); right = Math.max(right, x)
  }
  return { n, span: n ? (right - left) / c.width : 0 }
}"""


server = server_with_clock("cairn-kpis-alerts")


def _percent(v: float | None) -> str:
    """A rate as the card shows it (one decimal at most)."""
    if v is None:
        return "—"
    return f"{round(v, 1):.1f}".removesuffix(".0") + "%"


def _alert_id(page: Any) -> int:
    m = re.search(r"/alerts/(\d+)", page.url)
    assert m, page.url
    return int(m.group(1))


def _tab(page: Any, name: str) -> None:
    page.locator(".alert-tabs .el-tabs__item", has_text=name).click()


def maps_a_kpi_and_sees_its_value_and_trend(
    page: Any, server: Server, shoot: Callable[[Any, str], Path]
) -> None:
    # The demo may map the KPI already: the browser maps it here.
    if any(m["kpi"] == KPI for m in server.api("GET", MAPPINGS)["items"]):
        server.api("DELETE", f"{MAPPINGS}/{KPI}")
    page.goto(f"{server.url}/apps/{APP}/kpis")
    card = page.locator(f"[data-test=kpi-card][data-kpi={KPI}]")
    expect(card.locator("[data-test=kpi-title]")).to_have_text("解决率")
    expect(card.locator("[data-test=kpi-definition]")).to_contain_text("已解决")
    expect(card.locator("[data-test=kpi-needs]")).to_contain_text("数据表")
    expect(card.locator("[data-test=kpi-needs]")).to_contain_text("哪些记录算已解决")
    shoot(page, "kpis-unmapped")

    card.locator("[data-test=kpi-map]").click()
    dialog = page.locator("[data-test=kpi-mapping]")
    dialog.locator("[data-test=kpi-params]").wait_for()
    # Saved with nothing picked: the server's refusal lands on the parameters' inputs.
    dialog.locator("[data-test=kpi-save]").click()
    expect(dialog.locator("[data-param=table] .el-form-item__error")).to_be_visible()
    choose(page, dialog.locator("[data-test=kpi-param-table]"), "服务工单")
    # A date field is asked for: only the table's dates (and the system ones) are offered.
    dialog.locator("[data-test=kpi-param-date_field] .el-select__wrapper").click()
    offered = page.locator(".el-select-dropdown__item:visible")
    expect(offered.filter(has_text="截止日期")).to_have_count(1)
    expect(offered.filter(has_text="标题")).to_have_count(0)
    offered.filter(has_text=re.compile(r"^创建时间$")).click()
    resolved = dialog.locator("[data-param=match_filter]")
    resolved.locator("[data-test=add-condition]").click()
    choose(page, resolved.locator("[data-test=filter-field]"), "状态")
    choose(page, resolved.locator("[data-test=filter-value]"), "已解决")
    shoot(page, "kpis-mapping")
    dialog.locator("[data-test=kpi-save]").click()
    expect(dialog).to_be_hidden()

    [mapping] = [m for m in server.api("GET", MAPPINGS)["items"] if m["kpi"] == KPI]
    params = mapping["params"]
    assert (params["table"], params["date_field"]) == (TICKETS, "opened_at"), params
    assert params["match_filter"]["field"] == "status", params

    # The card: this month's value as the API computes it, and twelve months drawn.
    expect(card.locator("[data-test=kpi-mapped]")).to_be_visible()
    now = server.api(
        "POST",
        f"/api/v1/apps/{APP}/reports/kpis/{KPI}",
        {**params, "period": {"preset": "this_month"}},
    )
    expect(card.locator("[data-test=kpi-value]")).to_have_text(_percent(now["value"]))
    expect(card.locator("[data-test=kpi-source]")).to_contain_text("服务工单")
    chart = card.locator("[data-test=kpi-trend] [data-test=widget-chart]")
    expect(chart).to_have_attribute("data-type", "line")
    expect(chart).to_have_attribute("data-state", "drawn")
    drawn = chart.locator("canvas").first.evaluate(COLOURED)
    assert drawn["n"] > 150 and drawn["span"] > 0.5, drawn  # a line across the months
    shoot(page, "kpis")


def an_alert_on_the_mapped_kpi_dry_runs(
    page: Any, server: Server, shoot: Callable[[Any, str], Path]
) -> None:
    page.goto(f"{server.url}/apps/{APP}/alerts")
    page.locator("[data-test=new-alert]").click()
    page.wait_for_url(f"**/apps/{APP}/alerts/new")
    page.locator("[data-test=alert-source]").wait_for()
    type_into(page.locator("[data-test=alert-name]"), KPI_ALERT)
    # A new alert watches a mapped KPI, as the app maps it, this month: the one mapped above.
    expect(page.locator("[data-test=alert-source-kind] .is-active")).to_have_text("指标库中的指标")
    choose(page, page.locator("[data-test=alert-kpi]"), "解决率")
    expect(page.locator("[data-test=alert-kpi-use-mapping]")).to_have_class(
        re.compile("is-checked")
    )
    expect(page.locator("[data-test=alert-kpi-mapping]")).to_contain_text("服务工单")
    choose(page, page.locator("[data-test=alert-op]"), "小于")
    page.locator("[data-test=alert-threshold] input").fill("30")
    expect(page.locator("[data-test=alert-unit]")).to_have_text("%")
    page.locator("[data-test=save-alert]").click()
    page.wait_for_url(re.compile(r"/alerts/\d+$"))
    saved = server.api("GET", f"{ALERTS}/{_alert_id(page)}")
    assert saved["kpi"] == {"key": KPI, "params": {}}, saved
    assert (saved["op"], saved["threshold"]) == ("<", 30), saved
    assert saved["period"] == {"preset": "this_month"}, saved

    page.locator("[data-test=alert-dry-run]").click()
    result = page.locator("[data-test=dry-run-result]")
    now = server.api("POST", f"{ALERTS}/{saved['id']}/check?dry_run=true")
    expect(result.locator("[data-test=dry-run-value]")).to_have_text(_percent(now["value"]))
    verdict = "会触发告警" if now["state"] == "firing" else "不会触发"
    expect(result.locator("[data-test=dry-run-verdict]")).to_have_text(verdict)
    shoot(page, "alert-kpi-dry-run")


def a_count_alert_crosses_after_the_clock_moves_and_its_link_opens_it(
    page: Any, server: Server, shoot: Callable[[Any, str], Path]
) -> int:
    records = f"/api/v1/apps/{APP}/tables/{TICKETS}/records"
    new = {"filter": {"field": "status", "op": "eq", "value": "新建"}, "limit": 1000}
    count = len(server.api("POST", f"{records}/query", new)["items"])
    page.goto(f"{server.url}/apps/{APP}/alerts/new")
    page.locator("[data-test=alert-source]").wait_for()
    type_into(page.locator("[data-test=alert-name]"), COUNT_ALERT)
    page.locator("[data-test=alert-source-dataset]").click()
    choose(page, page.locator("[data-test=alert-table]"), "服务工单")
    expect(page.locator("[data-test=alert-agg]")).to_contain_text("记录数")
    flt = page.locator("[data-test=alert-filter]")
    flt.locator("[data-test=add-condition]").click()
    choose(page, flt.locator("[data-test=filter-field]"), "状态")
    choose(page, flt.locator("[data-test=filter-value]"), "新建")
    page.locator("[data-test=alert-threshold] input").fill(str(count))
    page.locator("[data-test=alert-every] input").fill("15")
    page.locator("[data-test=alert-every] input").press("Tab")
    choose(page, page.locator("[data-test=alert-every-unit]"), "分钟")
    # Told: the alert's owner, in-app (the default), with a subject of our own.
    card = page.locator("[data-test=action-card]").first
    expect(card.locator("[data-test=to-owner]")).to_have_class(re.compile("is-checked"))
    expect(card.locator("[data-test=to-owner]")).to_contain_text("告警负责人")
    type_into(card.locator("[data-test=notify-subject]"), "积压：{{ name }} 现为 {{ value }}")
    shoot(page, "alert-editor")
    page.locator("[data-test=save-alert]").click()
    page.wait_for_url(re.compile(r"/alerts/\d+$"))
    alert_id = _alert_id(page)
    saved = server.api("GET", f"{ALERTS}/{alert_id}")
    assert saved["dataset"]["table"] == TICKETS
    [measure] = saved["dataset"]["measures"]
    assert (measure["agg"], measure.get("field")) == ("count", None), measure
    assert saved["dataset"]["filter"]["field"] == "status", saved["dataset"]
    assert saved["schedule"] == {"every": 15, "unit": "minutes"}, saved["schedule"]
    assert (saved["op"], saved["threshold"]) == (">", count)

    # Dry run now: today's count, not past the threshold.
    page.locator("[data-test=alert-dry-run]").click()
    result = page.locator("[data-test=dry-run-result]")
    expect(result.locator("[data-test=dry-run-value]")).to_have_text(str(count))
    expect(result.locator("[data-test=dry-run-verdict]")).to_have_text("不会触发")

    # A new ticket, and a quarter of an hour later the scheduled check crosses.
    server.api("POST", records, {"title": "积压告警：新工单", "status": "新建"})
    unread = server.api("GET", "/api/v1/notifications/unread-count")["unread"]
    server.api("POST", "/api/v1/test-clock/advance", {"by": "16m"})
    subject = f"积压：{COUNT_ALERT} 现为 {count + 1}"
    wait_until(
        lambda: [
            n
            for n in server.api("GET", "/api/v1/notifications?limit=20")["items"]
            if n["title"].startswith(f"积压：{COUNT_ALERT}")
        ],
        "the alert's notification",
    )
    # The bell counts it (the demo's own alerts may have spoken too: as the API counts).
    after = server.api("GET", "/api/v1/notifications/unread-count")["unread"]
    assert after >= unread + 1
    page.reload()
    expect(page.locator("[data-test=bell-count] sup")).to_have_text(str(after))
    page.locator("[data-test=bell]").click()
    item = page.locator("[data-test=notification]", has_text=f"积压：{COUNT_ALERT}")
    expect(item).to_be_visible()
    assert subject.split(" 现为 ")[0] in item.inner_text()
    shoot(page, "alert-bell")

    # Its link opens the alert (it was a 404): firing, the crossing in the check log.
    page.goto(f"{server.url}/apps/{APP}/alerts")
    page.locator("[data-test=bell]").click()
    page.locator("[data-test=notification]", has_text=f"积压：{COUNT_ALERT}").click()
    page.wait_for_url(f"**/apps/{APP}/alerts/{alert_id}")
    expect(page.locator("[data-test=alert-title]")).to_have_text(COUNT_ALERT)
    expect(page.locator("[data-test=alert-state]")).to_have_text("告警中")
    _tab(page, "检查记录")
    row = page.locator("[data-test=checks-table] .el-table__row").first
    expect(row.locator("[data-test=check-value]")).to_have_text(str(count + 1))
    expect(row.locator("[data-test=check-change]")).to_have_text("越过阈值")
    expect(row).to_contain_text("定时")
    expect(row.locator("[data-test=check-status]")).to_have_text("成功")
    row.locator(".el-table__expand-icon").click()
    action = page.locator("[data-test=check-detail] [data-test=check-action]").first
    expect(action.locator("[data-test=check-action-status]")).to_have_text("成功")
    shoot(page, "alert-checks")

    # Dry run now: the value past the threshold, still firing (no second notice).
    page.locator("[data-test=alert-dry-run]").click()
    result = page.locator("[data-test=dry-run-result]")
    expect(result.locator("[data-test=dry-run-value]")).to_have_text(str(count + 1))
    expect(result.locator("[data-test=dry-run-verdict]")).to_have_text("仍在告警中（不会重复通知）")
    shoot(page, "alert-dry-run")

    # The list: firing, its last value, switched off there and on again.
    page.goto(f"{server.url}/apps/{APP}/alerts")
    row = page.locator(
        ".el-table__row", has=page.locator(f"[data-test=alert-row][data-key={saved['key']}]")
    )
    expect(row.locator("[data-test=alert-state]")).to_have_text("告警中")
    expect(row.locator("[data-test=alert-threshold]")).to_have_text(f"> {count}")
    expect(row.locator("[data-test=alert-last-value]")).to_have_text(str(count + 1))
    row.locator("[data-test=alert-enabled]").click()
    expect(row.locator("[data-test=alert-enabled]")).not_to_have_class(re.compile("is-checked"))
    wait_until(lambda: not server.api("GET", f"{ALERTS}/{alert_id}")["enabled"], "it switched off")
    row.locator("[data-test=alert-enabled]").click()
    wait_until(lambda: server.api("GET", f"{ALERTS}/{alert_id}")["enabled"], "it switched on")
    shoot(page, "alerts")
    return alert_id


def the_pages_at_phone_width_and_in_english(
    page: Any, server: Server, alert_id: int, shoot: Callable[[Any, str], Path]
) -> None:
    base = f"{server.url}/apps/{APP}"
    alerts = len(server.api("GET", ALERTS)["items"])

    def fits() -> None:
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    try:
        for lang, width, height in (("zh-CN", 390, 844), ("en", 390, 844), ("en", 1440, 900)):
            page.set_viewport_size({"width": width, "height": height})
            if page.evaluate("document.documentElement.lang") != lang:
                switch_language(page, lang)
            page.goto(f"{base}/kpis")
            card = page.locator(f"[data-test=kpi-card][data-kpi={KPI}]")
            expect(
                card.locator("[data-test=kpi-trend] [data-test=widget-chart]")
            ).to_have_attribute("data-state", "drawn")
            if lang == "en":
                expect(card.locator("[data-test=kpi-title]")).to_have_text("Resolution rate")
            fits()
            shoot(page, "kpis")
            page.goto(f"{base}/alerts")
            expect(page.locator("[data-test=alert-row]")).to_have_count(alerts)
            fits()
            shoot(page, "alerts")
            page.goto(f"{base}/alerts/{alert_id}")
            page.locator("[data-test=step-actions] [data-test=action-card]").wait_for()
            fits()
            shoot(page, "alert-editor")
            page.locator("[data-test=alert-dry-run]").click()
            page.locator("[data-test=dry-run-value]").wait_for()
            shoot(page, "alert-dry-run")
            page.goto(f"{base}/alerts/{alert_id}?tab=checks")
            page.locator("[data-test=check-value]").first.wait_for()
            fits()
            shoot(page, "alert-checks")
    finally:
        page.set_viewport_size({"width": 1440, "height": 900})
        if page.evaluate("document.documentElement.lang") == "en":
            switch_language(page, "zh-CN")


def test_kpis_and_alerts(signed_in: Any, server: Server, shoot: Callable[[Any, str], Path]) -> None:
    """The KPI mapped, the two alerts, then the pages at phone width and in English, in one
    test: the later parts read what the earlier made (pytest-xdist may give a module's tests to
    different workers, each with its own server)."""
    page = signed_in
    maps_a_kpi_and_sees_its_value_and_trend(page, server, shoot)
    an_alert_on_the_mapped_kpi_dry_runs(page, server, shoot)
    alert_id = a_count_alert_crosses_after_the_clock_moves_and_its_link_opens_it(
        page, server, shoot
    )
    the_pages_at_phone_width_and_in_english(page, server, alert_id, shoot)
