"""The working calendar in the database: the admin's overrides (``calendar_overrides``) on top
of the statutory calendar, and its days materialised in ``calendar_days`` for WORKDAY and
WORKDAYS in SQL.

The days table is filled the first time something needs it (a formula with a working-day
function is saved, the server starts, an override changes) and rewritten, in the same
transaction, whenever an override changes; until it is filled, SQL that would read it is
refused rather than computed against an empty table."""

from __future__ import annotations

import functools
from datetime import date

import sqlalchemy as sa

from cairn.core.workcalendar import WorkCalendar
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
