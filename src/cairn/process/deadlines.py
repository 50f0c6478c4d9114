"""Step time limits: in calendar time or in working hours, and what happens when.

A step's deadline (``cairn:deadline``) is a duration from when the task opened, counted in
calendar time or in working hours on the working calendar (``core.workcalendar``: mainland-China
holidays, the admin's holidays and make-up working days, and the configured working hours), or
a record's date/datetime field. Around it lie the task's alarms, fired in order by the worker:
a reminder before the due time, the breach at the due time, then each escalation level.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from cairn.process.model import Step


class WorkdayCalendar(Protocol):
    def is_workday(self, day: date) -> bool: ...


@dataclass(frozen=True)
class WorkingHours:
    start: time = time(9, 0)
    end: time = time(18, 0)
    break_start: time | None = None
    break_end: time | None = None

    def spans(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working periods of a working day (local wall-clock time)."""
        s, e = datetime.combine(day, self.start), datetime.combine(day, self.end)
        if self.break_start and self.break_end and self.start < self.break_start < self.break_end:
            bs, be = datetime.combine(day, self.break_start), datetime.combine(day, self.break_end)
            return [(s, min(bs, e)), (max(be, s), e)] if be < e else [(s, min(bs, e))]
        return [(s, e)]


MAX_DAYS = 3660


def add_working_time(
    start: datetime, duration: timedelta, calendar: WorkdayCalendar, hours: WorkingHours
) -> datetime:
    """``start`` (local, naive) plus ``duration`` of working time: the clock runs only inside
    working hours of working days. Starting outside them, counting begins at the next start."""
    remaining = duration
    day = start.date()
    for _ in range(MAX_DAYS):
        try:
            working = calendar.is_workday(day)
        except ValueError:  # outside the calendar's years: weekdays only
            working = day.weekday() < 5
        if working:
            for s, e in hours.spans(day):
                lo = max(s, start)
                if lo >= e:
                    continue
                available = e - lo
                if remaining <= available:
                    return lo + remaining
                remaining -= available
        day += timedelta(days=1)
    return start + duration  # a calendar with no working days: fall back to calendar time


def to_local(utc_naive: datetime, tz: ZoneInfo) -> datetime:
    return utc_naive.replace(tzinfo=ZoneInfo("UTC")).astimezone(tz).replace(tzinfo=None)


def to_utc(local_naive: datetime, tz: ZoneInfo) -> datetime:
    return local_naive.replace(tzinfo=tz).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def due_at(
    step: Step,
    opened_at: datetime,
    *,
    tz: ZoneInfo,
    calendar: WorkdayCalendar,
    hours: WorkingHours,
    field_value: date | datetime | None = None,
) -> datetime | None:
    """When the task opened at ``opened_at`` (UTC, naive) is due (UTC, naive), or None."""
    d = step.deadline
    if d is None:
        return None
    if d.field:
        if field_value is None:
            return None
        if isinstance(field_value, datetime):
            return field_value  # stored datetimes are UTC already
        # A date: due at the end of that working day.
        return to_utc(datetime.combine(field_value, hours.end), tz)
    assert d.duration is not None
    if d.calendar == "working":
        local = add_working_time(to_local(opened_at, tz), d.duration, calendar, hours)
        return to_utc(local, tz)
    return opened_at + d.duration


@dataclass(frozen=True)
class Alarm:
    at: datetime
    kind: str  # "remind", "overdue", "escalate"
    level: int = 0


def alarms(step: Step, due: datetime | None) -> list[Alarm]:
    """The task's alarms in firing order (reminder, breach, escalation levels 1..n)."""
    if due is None:
        return []
    out: list[Alarm] = []
    if step.deadline is not None and step.deadline.reminder:
        out.append(Alarm(due - step.deadline.reminder, "remind"))
    out.append(Alarm(due, "overdue"))
    for i, e in enumerate(step.escalations, start=1):
        out.append(Alarm(due + e.after, "escalate", i))
    out.sort(key=lambda a: (a.at, ("remind", "overdue", "escalate").index(a.kind), a.level))
    return out
