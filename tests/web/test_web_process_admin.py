"""Process administration in the browser (issue 16): the running instances across apps with
their incidents and overdue steps, retry, cancel with a reason, reassigning a leaving person's
open tasks; and the working calendar page, whose hours, holidays and 调休 working days the
deadlines computed afterwards follow."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from ui import choose, switch_language, type_into
from webserver import Server

from cairn.core.workcalendar import WorkCalendar

TZ = ZoneInfo("Asia/Shanghai")  # the server's default time zone (Settings.timezone)
NS = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:cairn="https://cairn.dev/bpmn" id="d" targetNamespace="x"'
)


def _one_step(key: str, name: str, table: str, task: str) -> str:
    """A process of one user task (``task``: the inner extension elements) on ``table``."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {NS}>
  <bpmn:process id="{key}" name="{name}" isExecutable="true">
    <bpmn:extensionElements><cairn:binding table="{table}"/></bpmn:extensionElements>
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="review"/>
    <bpmn:userTask id="review" name="审核">
      <bpmn:extensionElements>{task}</bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def _table(server: Server, app: str, key: str, name: str, fields: list[dict[str, Any]]) -> None:
    body = {"key": key, "name": name, "display_field": fields[0]["key"], "fields": fields}
    server.api("POST", f"/api/v1/apps/{app}/tables", body)


def _start(server: Server, app: str, process: str, table: str, values: dict[str, Any]) -> int:
    rec = server.api("POST", f"/api/v1/apps/{app}/tables/{table}/records", values)
    r = server.api(
        "POST", f"/api/v1/apps/{app}/processes/{process}/start", {"record_id": rec["id"]}
    )
    return int(r["id"])


def _instance(server: Server, iid: int) -> dict[str, Any]:
    return server.api("GET", f"/api/v1/process-instances/{iid}")


def _open_steps(server: Server, iid: int) -> list[dict[str, Any]]:
    return [s for s in _instance(server, iid)["steps"] if s["status"] == "open"]


def _due(server: Server, iid: int) -> datetime:
    """The open task's deadline, in the server's local time."""
    [step] = _open_steps(server, iid)
    utc = datetime.fromisoformat(step["due_at"].replace("Z", "+00:00"))
    return utc.astimezone(TZ)


def _to_admin(page: Any, key: str) -> None:
    """Administration through the user menu, then the page in the admin menu."""
    page.locator("[data-test=user-menu]").click()
    page.locator("[data-test=menu-admin]").click()
    page.locator("[data-test=admin-users]").wait_for()
    page.locator(f"[data-test=admin-menu-{key}]").click()


def _pick(page: Any, select: Any, option: str) -> None:
    """Choose in an el-select and wait until its list is gone (the next list has the same
    option texts: a closing one would take the click)."""
    choose(page, select, option)
    page.wait_for_function(
        "![...document.querySelectorAll('.el-select-dropdown')].some(e => e.offsetParent)"
    )


# -- the working calendar -------------------------------------------------------------------

CAL_APP = "padmin_cal"


@pytest.fixture
def calendar_reset(server: Server) -> Iterator[None]:
    """The calendar is the server's (one per test session): put it back as it was."""
    before = server.api("GET", "/api/v1/calendar")
    yield
    after = server.api("GET", "/api/v1/calendar")
    known = {d["day"] for d in before["days"]}
    for d in after["days"]:
        if d["day"] not in known:
            server.api("DELETE", f"/api/v1/calendar/days/{d['day']}")
    h = before["hours"]
    server.api("PUT", "/api/v1/calendar/hours", h)


def _add_day(page: Any, day: date, kind: str, name: str) -> None:
    page.locator("[data-test=cal-add-day]").click()
    dialog = page.locator(".el-dialog", has=page.locator("[data-test=day-date]"))
    box = dialog.locator("[data-test=day-date] input")
    box.fill(day.isoformat())
    box.press("Enter")
    dialog.locator(f"[data-test=day-kind-{kind}]").click()
    type_into(dialog.locator("[data-test=day-name]"), name)
    dialog.locator("[data-test=day-save]").click()
    dialog.wait_for(state="hidden")
    page.locator(f"[data-test=cal-day-{day.isoformat()}]").wait_for()


def test_the_working_calendar_page_drives_the_deadlines(
    signed_in: Any, server: Server, calendar_reset: None, shoot: Any
) -> None:
    page = signed_in
    server.api("POST", "/api/v1/apps", {"key": CAL_APP, "name": "日历测试"})
    _table(
        server,
        CAL_APP,
        "orders",
        "订单",
        [
            {"key": "customer", "name": "客户", "type": "text"},
            {"key": "due_on", "name": "截止日期", "type": "date"},
        ],
    )
    # Ten working days of eight hours, and "by the end of the record's date".
    ten_days = (
        '<cairn:assignee type="initiator"/><cairn:deadline duration="PT80H" calendar="working"/>'
    )
    by_date = '<cairn:assignee type="initiator"/><cairn:deadline field="due_on"/>'
    for key, name, task in (("tenday", "十日审核", ten_days), ("bydate", "按日审核", by_date)):
        server.api(
            "POST",
            f"/api/v1/apps/{CAL_APP}/processes",
            {"bpmn": _one_step(key, name, "orders", task)},
        )

    _to_admin(page, "calendar")
    page.locator("[data-test=admin-calendar]").wait_for()
    page.locator("[data-test=cal-hours]").wait_for()

    # 1. Working hours 08:00-16:00 without a break: eight hours a day.
    _pick(page, page.locator("[data-test=cal-work-start]"), "08:00")
    _pick(page, page.locator("[data-test=cal-work-end]"), "16:00")
    if page.locator("[data-test=cal-has-break] input").is_checked():
        page.locator("[data-test=cal-has-break]").click()
    expect(page.locator("[data-test=cal-daily-hours]")).to_contain_text("8")
    page.locator("[data-test=cal-save-hours]").click()
    page.locator(".el-message--success").wait_for()
    hours = server.api("GET", "/api/v1/calendar")["hours"]
    assert hours == {
        "work_start": "08:00",
        "work_end": "16:00",
        "break_start": None,
        "break_end": None,
    }
    # A deadline "by the record's date" is the end of that working day: 16:00 now.
    target = date.today() + timedelta(days=40)
    iid = _start(
        server, CAL_APP, "bydate", "orders", {"customer": "日", "due_on": target.isoformat()}
    )
    assert _due(server, iid) == datetime(target.year, target.month, target.day, 16, 0, tzinfo=TZ)

    # 2. A baseline ten-working-day deadline, then a holiday inside its span.
    a = _due(server, _start(server, CAL_APP, "tenday", "orders", {"customer": "甲"}))
    today = datetime.now(UTC).astimezone(TZ).date()
    statutory = WorkCalendar(today.year, today.year + 1)
    span = [today + timedelta(days=i) for i in range(1, (a.date() - today).days)]
    holiday = next(d for d in span if statutory.is_workday(d))
    makeup = next(d for d in span if not statutory.is_workday(d) and d.weekday() >= 5)
    _add_day(page, holiday, "holiday", "司庆日")
    assert {"day": holiday.isoformat(), "is_workday": False, "name": "司庆日"} in server.api(
        "GET", "/api/v1/calendar"
    )["days"]
    b = _due(server, _start(server, CAL_APP, "tenday", "orders", {"customer": "乙"}))
    # One working day later, at the same time of day (opened seconds apart).
    moved = WorkCalendar(today.year, today.year + 1, {holiday: False}).next_workday(a.date())
    assert b.date() == moved, (a, b, holiday)
    assert abs((b - b.replace(hour=a.hour, minute=a.minute, second=a.second)).total_seconds()) < 120

    # 3. A 调休 working day on a weekend in the span gives the day back.
    _add_day(page, makeup, "workday", "调休上班")
    c = _due(server, _start(server, CAL_APP, "tenday", "orders", {"customer": "丙"}))
    assert abs((c - a).total_seconds()) < 120, (a, c, makeup)
    shoot(page, "admin-calendar")

    # 4. All of it is kept: after a reload the page shows the hours and both days.
    page.reload()
    page.locator("[data-test=cal-hours]").wait_for()
    expect(page.locator(f"[data-test=cal-day-{holiday.isoformat()}]")).to_be_visible()
    expect(page.locator(f"[data-test=cal-kind-{holiday.isoformat()}]")).to_have_text(
        re.compile("假日")
    )
    expect(page.locator(f"[data-test=cal-kind-{makeup.isoformat()}]")).to_have_text(
        re.compile("调休")
    )
    expect(page.locator("[data-test=cal-work-start]")).to_contain_text("08:00")
    expect(page.locator("[data-test=cal-work-end]")).to_contain_text("16:00")
    # The month view marks the holiday (its month shown with the calendar's own buttons).
    months = (holiday.year - today.year) * 12 + holiday.month - today.month
    for _ in range(months):
        page.locator(".cal-month .el-calendar__button-group button").last.click()
    cell = page.locator(f"[data-test=cal-cell-{holiday.isoformat()}]")
    expect(cell).to_have_class(re.compile("holiday"))
    expect(cell).to_contain_text("休")
    cell.scroll_into_view_if_needed()
    shoot(page, "admin-calendar-month")

    # 5. Removing a day (asked first) gives it back to the statutory calendar.
    page.locator("[data-test=cal-days]").scroll_into_view_if_needed()
    page.locator(f"[data-test=cal-remove-{makeup.isoformat()}]").click()
    page.locator(".el-message-box .el-button--primary").click()
    page.locator(f"[data-test=cal-day-{makeup.isoformat()}]").wait_for(state="detached")
    days = {d["day"] for d in server.api("GET", "/api/v1/calendar")["days"]}
    assert makeup.isoformat() not in days and holiday.isoformat() in days
    d = _due(server, _start(server, CAL_APP, "tenday", "orders", {"customer": "丁"}))
    assert d.date() == moved

    # Phone width and English.
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("[data-test=admin-calendar]").scroll_into_view_if_needed()
    page.evaluate("document.querySelector('.main').scrollTo(0, 0)")
    shoot(page, "admin-calendar")
    switch_language(page, "en")
    expect(page.locator(f"[data-test=cal-day-{holiday.isoformat()}]")).to_be_visible()
    page.evaluate("document.querySelector('.main').scrollTo(0, 0)")
    shoot(page, "admin-calendar")
    page.set_viewport_size({"width": 1440, "height": 900})
    shoot(page, "admin-calendar")
    switch_language(page, "zh-CN")


# -- the running instances ------------------------------------------------------------------

OPS = "padmin_ops"
ORDERS = f"/api/v1/apps/{OPS}/tables/orders/records"
TICKETS = f"/api/v1/apps/{OPS}/tables/tickets/records"
INTAKE = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {NS}>
  <bpmn:process id="intake" name="工单受理" isExecutable="true">
    <bpmn:extensionElements><cairn:binding table="orders"/></bpmn:extensionElements>
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="ticket"/>
    <bpmn:serviceTask id="ticket" name="建工单">
      <bpmn:extensionElements>
        <cairn:action>{{"type": "create_record", "table": "tickets", "values": {{"code": "\\"T-\\" &amp; {{customer}}"}}}}</cairn:action>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f1" sourceRef="ticket" targetRef="handle"/>
    <bpmn:userTask id="handle" name="处理工单">
      <bpmn:extensionElements>
        <cairn:assignee type="user" value="wang_leaving"/>
        <cairn:deadline field="due_on"/>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="handle" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def _ops_app(server: Server) -> dict[str, int]:
    """The app, two people (one leaving), and the process (a ticket per customer, then a task
    of the leaving person, due on the order's date)."""
    server.api("POST", "/api/v1/apps", {"key": OPS, "name": "工单运营"})
    _table(
        server,
        OPS,
        "orders",
        "订单",
        [
            {"key": "customer", "name": "客户", "type": "text"},
            {"key": "due_on", "name": "处理期限", "type": "date"},
        ],
    )
    _table(
        server,
        OPS,
        "tickets",
        "工单",
        [{"key": "code", "name": "编号", "type": "text", "unique": True}],
    )
    users = {
        name: server.api("POST", "/api/v1/users", {"username": name, "display_name": shown})["id"]
        for name, shown in (("wang_leaving", "王离职"), ("li_new", "李接手"))
    }
    server.api("POST", f"/api/v1/apps/{OPS}/processes", {"bpmn": INTAKE})
    return users


def _row(page: Any, iid: int) -> Any:
    return page.locator(f"[data-test=instance-{iid}]")


def test_instances_incidents_cancel_and_reassign(
    signed_in: Any, server: Server, shoot: Any
) -> None:
    users = _ops_app(server)
    today = datetime.now(UTC).astimezone(TZ).date()
    late = _start(
        server,
        OPS,
        "intake",
        "orders",
        {"customer": "甲", "due_on": (today - timedelta(days=3)).isoformat()},
    )
    # A second order of 甲: its ticket code is taken, the service task fails: an incident.
    failed = _start(
        server,
        OPS,
        "intake",
        "orders",
        {"customer": "甲", "due_on": (today + timedelta(days=9)).isoformat()},
    )
    calm = _start(
        server,
        OPS,
        "intake",
        "orders",
        {"customer": "乙", "due_on": (today + timedelta(days=9)).isoformat()},
    )
    doomed = _start(
        server,
        OPS,
        "intake",
        "orders",
        {"customer": "丙", "due_on": (today + timedelta(days=9)).isoformat()},
    )
    incident = _instance(server, failed)["incident"]
    assert _instance(server, failed)["status"] == "error" and incident["step"] == "ticket"

    if not server.has_route("/api/v1/process-instances"):
        pytest.fail("GET /api/v1/process-instances (contract item 7) is not in this build")
    page = signed_in
    _to_admin(page, "processes")
    page.locator("[data-test=admin-processes]").wait_for()
    choose(page, page.locator("[data-test=pa-app]"), "工单运营")
    for iid in (late, calm, doomed):
        _row(page, iid).wait_for()
    expect(_row(page, failed)).to_have_count(0)  # running only, at first
    # Each row: the process and version, the record linked, the step, assignee and deadline.
    expect(_row(page, late)).to_contain_text("工单受理")
    expect(_row(page, late)).to_contain_text("v1")
    expect(page.locator(f"[data-test=record-{late}]")).to_have_text("甲")
    expect(page.locator(f"[data-test=record-{late}]")).to_have_attribute(
        "href", re.compile(rf"/apps/{OPS}/tables/orders/records/\d+$")
    )
    step = page.locator(f"[data-test=step-{late}-handle]")
    expect(step).to_contain_text("处理工单")
    expect(step).to_contain_text("王离职")
    expect(page.locator(f"[data-test=late-{late}]")).to_contain_text(re.compile(r"已逾期 \d+ 天"))
    expect(page.locator(f"[data-test=late-{late}]")).to_have_css("color", "rgb(245, 108, 108)")
    expect(page.locator(f"[data-test=late-{calm}]")).to_have_count(0)
    expect(page.locator(f"[data-test=open-{late}]")).to_have_attribute(
        "href", f"/process-instances/{late}"
    )
    shoot(page, "admin-processes")

    # Overdue only, and the search.
    page.locator("[data-test=pa-overdue]").click()
    expect(_row(page, calm)).to_have_count(0)
    _row(page, late).wait_for()
    page.locator("[data-test=pa-overdue]").click()
    type_into(page.locator("[data-test=pa-search]"), "乙")
    page.locator("[data-test=pa-search-go]").click()
    expect(_row(page, late)).to_have_count(0)
    _row(page, calm).wait_for()
    type_into(page.locator("[data-test=pa-search]"), "")
    page.locator("[data-test=pa-search-go]").click()

    # 1. Stuck in an incident: the message shows; a retry before the fix fails again.
    page.locator("[data-test=pa-status-error]").click()
    _row(page, failed).wait_for()
    expect(_row(page, late)).to_have_count(0)
    expect(page.locator(f"[data-test=incident-{failed}]")).to_contain_text("建工单")
    expect(page.locator(f"[data-test=incident-{failed}]")).to_contain_text(
        incident["errors"]["zh-CN"][:40]
    )
    shoot(page, "admin-processes-incident")
    page.locator(f"[data-test=retry-{failed}]").click()
    page.locator(".el-message--error").wait_for()
    assert _instance(server, failed)["status"] == "error"
    # The cause fixed (the first ticket renumbered), the retry goes on to the task.
    # (乙 and 丙 have their tickets too: the one in the way is 甲's.)
    [first] = [t for t in server.api("GET", TICKETS)["items"] if t["code"] == "T-甲"]
    server.api("PATCH", f"{TICKETS}/{first['id']}", {"code": "T-甲-1", "version": first["version"]})
    page.locator(f"[data-test=retry-{failed}]").click()
    expect(_row(page, failed)).to_have_count(0)
    after = _instance(server, failed)
    assert after["status"] == "running" and after["incident"] is None
    assert [s["step"] for s in after["current"]] == ["handle"]

    # 2. Cancel with a reason: refused without one.
    page.locator("[data-test=pa-status-running]").click()
    page.locator(f"[data-test=cancel-{doomed}]").click()
    page.locator("[data-test=cancel-confirm]").click()
    dialog = page.locator(".el-dialog", has=page.locator("[data-test=cancel-reason]"))
    expect(dialog.locator(".el-form-item__error")).to_contain_text("请填写取消原因")
    assert _instance(server, doomed)["status"] == "running"
    type_into(page.locator("[data-test=cancel-reason]"), "客户已撤单")
    shoot(page, "admin-processes-cancel")
    page.locator("[data-test=cancel-confirm]").click()
    expect(_row(page, doomed)).to_have_count(0)
    gone = _instance(server, doomed)
    assert gone["status"] == "cancelled" and gone["reason"] == "客户已撤单"

    # 3. 王离职 leaves: their open tasks in this app go to 李接手, and the count is shown.
    mine = [
        iid
        for iid in (late, failed, calm)
        if _open_steps(server, iid)[0]["assignee_id"] == users["wang_leaving"]
    ]
    assert len(mine) == 3
    page.locator("[data-test=open-reassign]").click()
    _pick(page, page.locator("[data-test=reassign-from]"), "王离职")
    choose(page, page.locator("[data-test=reassign-to]"), "李接手")
    page.locator("[data-test=reassign-go]").click()
    expect(page.locator("[data-test=reassign-result]")).to_contain_text(
        "已将 王离职 的 3 个待办转交给 李接手"
    )
    shoot(page, "admin-processes-reassign")
    for iid in mine:
        assert _open_steps(server, iid)[0]["assignee_id"] == users["li_new"]
    page.locator("[data-test=reassign-go]").click()  # nothing left to move
    expect(page.locator("[data-test=reassign-result]")).to_contain_text("王离职 没有未完成的待办")
    page.keyboard.press("Escape")
    expect(page.locator(f"[data-test=step-{late}-handle]")).to_contain_text("李接手")

    # Phone width: cards with the same facts and actions; and English.
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("[data-test=pa-cards]").wait_for()
    expect(page.locator(f"[data-test=late-{late}]")).to_be_visible()
    shoot(page, "admin-processes")
    switch_language(page, "en")
    expect(page.locator(f"[data-test=late-{late}]")).to_contain_text(
        re.compile(r"overdue by \d+ d")
    )
    shoot(page, "admin-processes")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.locator("[data-test=pa-status-error]").click()
    page.locator("[data-test=pa-status-all]").click()
    _row(page, doomed).wait_for()
    shoot(page, "admin-processes")
    switch_language(page, "zh-CN")
