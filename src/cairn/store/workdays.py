"""The working calendar in the database: the admin's overrides (``calendar_overrides``) on top
of the statutory calendar, and its days materialised in ``calendar_days`` for WORKDAY and
WORKDAYS in SQL.

The days table is filled the first time something needs it (a formula with a working-day
function is saved, the server starts, an override changes) and rewritten, in the same
transaction, whenever an override changes; until it is filled, SQL that would read it is
refused rather than computed against an empty table."""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa

from cairn.core import Invalid
from cairn.core.workcalendar import DEFAULT_FIRST_YEAR, DEFAULT_LAST_YEAR, WorkCalendar
from cairn.store import system
from cairn.store.bulk import insert_many

DAYS, OVERRIDES = system.calendar_days, system.calendar_overrides


def overrides(conn: sa.Connection) -> dict[date, bool]:
    return {
        r.day: r.is_workday
        for r in conn.execute(sa.select(OVERRIDES.c.day, OVERRIDES.c.is_workday))
    }


def calendar(conn: sa.Connection) -> WorkCalendar:
    """The working calendar with the admin's overrides (built once per set of overrides)."""
    return _build(frozenset(overrides(conn).items()))


@functools.lru_cache(maxsize=16)
def _build(entries: frozenset[tuple[date, bool]]) -> WorkCalendar:
    return WorkCalendar(overrides=dict(entries))


def filled(conn: sa.Connection) -> bool:
    return conn.execute(sa.select(DAYS.c.day).limit(1)).first() is not None


def sync(conn: sa.Connection, cal: WorkCalendar | None = None) -> None:
    """Rewrite every day from ``cal`` (default: the calendar with the overrides as they are
    in this transaction)."""
    cal = cal or calendar(conn)
    conn.execute(sa.delete(DAYS))
    insert_many(
        conn,
        DAYS,
        [{"day": d.day, "is_workday": d.is_workday, "seq": d.seq} for d in cal.rows()],
    )


def ensure(conn: sa.Connection) -> bool:
    """Fill the days table when it is empty; True when this call filled it."""
    if filled(conn):
        return False
    sync(conn)
    return True


def prepare(engine: sa.Engine) -> None:
    """At start-up (``cairn serve``, ``init``, ``migrate``, the worker): the days are there."""
    with engine.connect() as conn:
        conn.info["write"] = False
        with conn.begin():
            if filled(conn):
                return
    with engine.begin() as conn:
        ensure(conn)


# -- the admin's entries and working hours ---------------------------------------------------
HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def hhmm_time(v: str | None) -> time | None:
    """A stored ``HH:MM`` as a time (None: not set)."""
    if not v:
        return None
    h, m = v.split(":")
    return time(int(h), int(m))


def check_day(value: Any, location: str = "day") -> date:
    """An entry's day (ISO text) within the years the calendar knows."""
    try:
        d = date.fromisoformat(str(value))
    except ValueError:
        raise Invalid.on(location, "value.date") from None
    if not DEFAULT_FIRST_YEAR <= d.year <= DEFAULT_LAST_YEAR:
        raise Invalid.on(
            location,
            "calendar.range",
            first=f"{DEFAULT_FIRST_YEAR}-01-01",
            last=f"{DEFAULT_LAST_YEAR}-12-31",
        )
    return d


def check_hours(body: dict[str, Any]) -> dict[str, Any]:
    """Working hours as an administrator sets them (``HH:MM``; the break is optional)."""
    values: dict[str, Any] = {}
    for key in ("work_start", "work_end", "break_start", "break_end"):
        v = body.get(key)
        if v in (None, "") and key.startswith("break"):
            values[key] = None
            continue
        if not isinstance(v, str) or not HHMM.match(v):
            raise Invalid.on(key, "calendar.time")
        values[key] = v
    if values["work_start"] >= values["work_end"]:
        raise Invalid.on("work_end", "calendar.hours_order")
    if (values["break_start"] is None) != (values["break_end"] is None) or (
        values["break_start"] and values["break_start"] >= values["break_end"]
    ):
        raise Invalid.on("break_end", "calendar.hours_order")
    return values


SETTINGS = system.calendar_settings


def hours_row(conn: sa.Connection) -> Any:
    """The working hours row (``HH:MM`` texts), or None: the default hours."""
    return conn.execute(sa.select(SETTINGS).where(SETTINGS.c.id == 1)).first()


def save_hours(conn: sa.Connection, now: datetime, **values: Any) -> None:
    if conn.execute(sa.select(SETTINGS.c.id).where(SETTINGS.c.id == 1)).first():
        conn.execute(SETTINGS.update().where(SETTINGS.c.id == 1).values(updated_at=now, **values))
    else:
        conn.execute(SETTINGS.insert().values(id=1, updated_at=now, **values))


def entries(conn: sa.Connection, year: int | None = None) -> list[Any]:
    """The admin's entries in day order (of ``year``, when given)."""
    q = sa.select(OVERRIDES).order_by(OVERRIDES.c.day)
    if year:
        q = q.where(OVERRIDES.c.day >= date(year, 1, 1), OVERRIDES.c.day <= date(year, 12, 31))
    return list(conn.execute(q))


def has_entry(conn: sa.Connection, day: date) -> bool:
    return (
        conn.execute(sa.select(OVERRIDES.c.day).where(OVERRIDES.c.day == day)).first() is not None
    )


def add_entry(conn: sa.Connection, day: date, is_workday: bool, name: str, now: datetime) -> None:
    conn.execute(
        OVERRIDES.insert().values(day=day, is_workday=is_workday, name=name, updated_at=now)
    )


def delete_entry(conn: sa.Connection, day: date) -> int:
    """Remove the entry of ``day``; how many there were (0 or 1)."""
    return conn.execute(OVERRIDES.delete().where(OVERRIDES.c.day == day)).rowcount
