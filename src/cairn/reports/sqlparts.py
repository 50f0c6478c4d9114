"""The SQL pieces reports need that differ between SQLite and PostgreSQL: local date buckets,
floor, durations. Each is built for a known dialect name; values travel as bound parameters.

Datetimes are stored as naive UTC. A bucket is taken in the configured time zone: PostgreSQL
converts with ``timezone()``; SQLite (no zone data) adds the zone's UTC offset, as one constant
for a zone without daylight saving (Asia/Shanghai) or a CASE over the zone's transitions.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

BUCKETS = ("day", "week", "month", "quarter", "year")
_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


@lru_cache(maxsize=16)
def zone_offsets(zone: str, first_year: int = 1970, last_year: int = 2100) -> tuple[Any, ...]:
    """``((utc_from, minutes), ...)``: the zone's UTC offset from each instant on (naive UTC),
    found day by day and refined to the minute. One entry for a zone without changes."""
    tz = ZoneInfo(zone)

    def offset(t: datetime) -> int:
        off = t.replace(tzinfo=UTC).astimezone(tz).utcoffset() or timedelta()
        return int(off.total_seconds() // 60)

    t = datetime(first_year, 1, 1)
    end = datetime(last_year, 1, 1)
    current = offset(t)
    out: list[tuple[datetime | None, int]] = [(None, current)]
    step = timedelta(days=1)
    while t < end:
        nxt = t + step
        o = offset(nxt)
        if o != current:
            lo, hi = t, nxt
            while hi - lo > timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                if offset(mid) == current:
                    lo = mid
                else:
                    hi = mid
            out.append((hi.replace(second=0, microsecond=0), o))
            current = o
        t = nxt
    return tuple(out)


def local_time(col: sa.ColumnElement[Any], dialect: str, zone: str) -> sa.ColumnElement[Any]:
    """A naive-UTC datetime column as local wall time in ``zone``."""
    if dialect == "postgresql":
        return sa.func.timezone(zone, sa.func.timezone("UTC", col))
    offsets = zone_offsets(zone)
    if len(offsets) == 1:
        return sa.func.datetime(col, f"{offsets[0][1]} minutes")
    # CASE picks the first match: test the latest transitions first.
    cases = [(col >= at, minutes) for at, minutes in reversed(offsets[1:])]
    minutes = sa.case(*cases, else_=offsets[0][1])
    return sa.func.datetime(col, sa.cast(minutes, sa.Text) + " minutes")


def bucket(
    col: sa.ColumnElement[Any], unit: str, dialect: str, zone: str, is_datetime: bool
) -> sa.ColumnElement[str]:
    """The bucket's key as text: ``2026-01-05`` (day; a week by its Monday), ``2026-01``,
    ``2026-Q1``, ``2026``; identical on both databases."""
    if dialect == "postgresql":
        local = local_time(col, dialect, zone) if is_datetime else sa.cast(col, sa.DateTime)
        if unit == "week":
            return sa.func.to_char(sa.func.date_trunc("week", local), "YYYY-MM-DD")
        fmt = {"day": "YYYY-MM-DD", "month": "YYYY-MM", "quarter": 'YYYY-"Q"Q', "year": "YYYY"}
        return sa.func.to_char(local, fmt[unit])
    local = local_time(col, dialect, zone) if is_datetime else col
    if unit == "day":
        return sa.func.date(local)
    if unit == "week":
        return sa.func.date(local, "-6 days", "weekday 1")
    if unit == "month":
        return sa.func.strftime("%Y-%m", local)
    if unit == "year":
        return sa.func.strftime("%Y", local)
    month = sa.cast(sa.func.strftime("%m", local), sa.Integer)
    quarter = sa.cast((month + 2) / 3, sa.Integer)
    return sa.func.strftime("%Y", local) + "-Q" + sa.cast(quarter, sa.Text)


def bucket_range(unit: str, key: str) -> tuple[date, date]:
    """``[start, end)`` local dates of a bucket key (the inverse of :func:`bucket`)."""
    if unit == "day":
        d = date.fromisoformat(key)
        return d, d + timedelta(days=1)
    if unit == "week":
        d = date.fromisoformat(key)
        return d, d + timedelta(days=7)
    if unit == "month":
        y, m = (int(x) for x in key.split("-"))
        return date(y, m, 1), date(y + m // 12, m % 12 + 1, 1)
    if unit == "quarter":
        y, q = key.split("-Q")
        first = (int(q) - 1) * 3 + 1
        nxt = first + 3
        return date(int(y), first, 1), date(int(y) + (nxt > 12), (nxt - 1) % 12 + 1, 1)
    y = int(key)
    return date(y, 1, 1), date(y + 1, 1, 1)


def floor_div(value: sa.ColumnElement[Any], width: float) -> sa.ColumnElement[Any]:
    """``floor(value / width)`` on both databases: CAST truncates on SQLite and rounds on
    PostgreSQL; either way one step down fixes the cases where it went above."""
    q = value * 1.0 / sa.literal(float(width), sa.Float)
    t = sa.cast(q, sa.BigInteger)
    return sa.case((q < t, t - 1), else_=t)


def duration(
    end: sa.ColumnElement[Any], start: sa.ColumnElement[Any], unit: str, dialect: str
) -> sa.ColumnElement[float]:
    """``end - start`` in ``unit`` (a float; NULL when either is blank)."""
    per = float(_SECONDS[unit])
    if dialect == "postgresql":
        return sa.func.extract("epoch", end - start) / per
    return (sa.func.julianday(end) - sa.func.julianday(start)) * (86400.0 / per)


def hours_later(
    later: sa.ColumnElement[Any], earlier: sa.ColumnElement[Any], hours: float, dialect: str
) -> sa.ColumnElement[bool]:
    """``earlier <= later <= earlier + hours``."""
    return sa.and_(later >= earlier, duration(later, earlier, "hour", dialect) <= hours)
