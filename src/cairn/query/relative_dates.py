"""Relative date ranges (today, this_week, last_n_days …) against the injected clock.

A range is a half-open span of calendar days ``[start, end)`` in the configured time zone.
Date columns compare with the dates; datetime columns (naive UTC) with the zone's midnights
converted to naive UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cairn.core import Clock
from cairn.core.clock import note_clock_read

#: The relative operators and whether they take a number of days.
RELATIVE_OPS: dict[str, bool] = {
    "today": False,
    "yesterday": False,
    "last_n_days": True,
    "next_n_days": True,
    "this_week": False,
    "this_month": False,
    "this_year": False,
}

MAX_DAYS = 3660


def local_today(clock: Clock, tz: ZoneInfo) -> date:
    """The calendar day it is now in ``tz``."""
    note_clock_read()
    return clock.now().astimezone(tz).date()


def day_range(op: str, today: date, n: int | None = None) -> tuple[date, date]:
    """``[start, end)`` of ``op`` for ``today``.

    ``last_n_days n`` is the n days ending with today (today included); ``next_n_days n`` the n
    days starting with today. Weeks start on Monday (ISO 8601).
    """
    one = timedelta(days=1)
    if op == "today":
        return today, today + one
    if op == "yesterday":
        return today - one, today
    if op == "last_n_days":
        return today - (int(n or 1) - 1) * one, today + one
    if op == "next_n_days":
        return today, today + int(n or 1) * one
    if op == "this_week":
        start = today - today.weekday() * one
        return start, start + 7 * one
    if op == "this_month":
        start = today.replace(day=1)
        nxt = (
            date(start.year + 1, 1, 1)
            if start.month == 12
            else start.replace(month=start.month + 1)
        )
        return start, nxt
    if op == "this_year":
        return date(today.year, 1, 1), date(today.year + 1, 1, 1)
    raise ValueError(f"not a relative date operator: {op}")


def local_midnight_utc(day: date, tz: ZoneInfo) -> datetime:
    """The instant ``day`` begins in ``tz``, as naive UTC (how datetimes are stored)."""
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC).replace(tzinfo=None)


def relative_range(op: str, clock: Clock, tz: ZoneInfo, n: int | None = None) -> tuple[date, date]:
    """The local-date range of ``op`` now."""
    return day_range(op, local_today(clock, tz), n)


def utc_bounds(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """A local-date range as naive-UTC instants ``[start, end)``."""
    return local_midnight_utc(start, tz), local_midnight_utc(end, tz)
