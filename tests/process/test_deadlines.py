"""Deadlines in working hours on the mainland-China calendar, and the alarm plan."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cairn.core.workcalendar import WorkCalendar
from cairn.process.deadlines import WorkingHours, add_working_time, alarms, due_at
from cairn.process.model import Deadline, Escalation, Step

CAL = WorkCalendar(2025, 2027)
H = WorkingHours()


def test_working_time_skips_nights_weekends_and_holidays() -> None:
    # Friday 2026-01-02 is in the New Year holiday; Sunday 2026-01-04 is a make-up working day.
    assert add_working_time(datetime(2025, 12, 31, 17), timedelta(hours=2), CAL, H) == datetime(
        2026, 1, 4, 10
    )
    # Friday 16:00 + 4 h → Monday 11:00.
    assert add_working_time(datetime(2026, 1, 9, 16), timedelta(hours=4), CAL, H) == datetime(
        2026, 1, 12, 11
    )
    # Starting before opening counts from 09:00.
    assert add_working_time(datetime(2026, 1, 5, 7), timedelta(hours=1), CAL, H) == datetime(
        2026, 1, 5, 10
    )


def test_lunch_break_and_admin_overrides() -> None:
    lunch = WorkingHours(time(9), time(18), time(12), time(13))
    assert add_working_time(datetime(2026, 1, 5, 11), timedelta(hours=2), CAL, lunch) == datetime(
        2026, 1, 5, 14
    )
    closed = WorkCalendar(2025, 2027, overrides={date(2026, 1, 6): False})
    assert add_working_time(datetime(2026, 1, 5, 17), timedelta(hours=2), closed, H) == datetime(
        2026, 1, 7, 10
    )


def test_due_from_a_date_field_and_the_alarm_order() -> None:
    tz = ZoneInfo("Asia/Shanghai")
    step = Step(
        "s",
        "S",
        deadline=Deadline(field="due", reminder=timedelta(hours=1)),
        escalations=(Escalation(timedelta(hours=2)), Escalation(timedelta(hours=4), reassign=True)),
    )
    due = due_at(
        step, datetime(2026, 1, 5, 1), tz=tz, calendar=CAL, hours=H, field_value=date(2026, 1, 7)
    )
    assert due == datetime(2026, 1, 7, 10)  # 18:00 in Shanghai
    plan = alarms(step, due)
    assert [(a.kind, a.level, a.at.hour) for a in plan] == [
        ("remind", 0, 9),
        ("overdue", 0, 10),
        ("escalate", 1, 12),
        ("escalate", 2, 14),
    ]
    assert due_at(step, datetime(2026, 1, 5), tz=tz, calendar=CAL, hours=H) is None
