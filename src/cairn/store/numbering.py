"""Counters of auto-number fields: reserving numbers in the inserting transaction, so a rolled
back insert gives its numbers back and concurrent inserts queue on the counter row (a row
lock on PostgreSQL, the database's write lock on SQLite): numbers come without gaps or
duplicates. A counter that never restarts is the field's row in ``sequences``; one restarting
per day, month or year is a row per period in ``number_counters``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from cairn.meta import Field, local_day, number_formatter, numbering_period
from cairn.store import system
from cairn.store.records import reserve_sequence


def reserve_number(conn: sa.Connection, field_id: int, period: str, count: int, start: int) -> int:
    """Reserve ``count`` consecutive numbers of ``field_id``'s counter for ``period`` ("":
    the counter that never restarts); returns the first. A new period starts at ``start``."""
    if not period:
        return reserve_sequence(conn, field_id, count, start)
    t = system.number_counters
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = (
        insert(t)
        .values(field_id=field_id, period=period, value=start - 1 + count)
        .on_conflict_do_update(
            index_elements=[t.c.field_id, t.c.period], set_={"value": t.c.value + count}
        )
        .returning(t.c.value)
    )
    return int(conn.execute(stmt).scalar_one()) - count + 1


def assign_numbers(
    conn: sa.Connection, f: Field, created: list[datetime], tz: ZoneInfo
) -> list[str]:
    """The numbers of records created at ``created`` (naive UTC, in creation order), each
    drawn from the counter of its period and written with its own day's date parts."""
    options: dict[str, Any] = f.options
    start = options.get("start", 1)
    fmt = number_formatter(options)
    day_of: dict[datetime, date] = {}  # a bulk insert's records share one instant
    days = [day_of.get(at) or day_of.setdefault(at, local_day(at, tz)) for at in created]
    by_period: dict[str, list[int]] = {}
    for i, day in enumerate(days):
        by_period.setdefault(numbering_period(options, day), []).append(i)
    out = [""] * len(created)
    for period, positions in by_period.items():
        first = reserve_number(conn, f.id, period, len(positions), start)
        for k, i in enumerate(positions):
            out[i] = fmt(first + k, days[i])
    return out


def peek_number(conn: sa.Connection, field_id: int, period: str, start: int) -> int:
    """The number ``field_id``'s counter for ``period`` would give next (reserving nothing)."""
    value = _counter_value(conn, field_id, period)
    return start if value is None else value + 1


def carry_counter(
    conn: sa.Connection, field_id: int, old: dict[str, Any], new: dict[str, Any], day: date
) -> None:
    """After an auto-number field's reset changed with its pattern kept: the counter of the new
    reset for ``day``'s period goes on after the last number the old one gave in its period,
    so no number comes twice (a pattern counted on for the whole year and restarting monthly
    from now would give BJ-202703-0001 again; it gives BJ-202703-0051)."""
    if not new.get("pattern") or new.get("pattern") != old.get("pattern"):
        return
    before, after = numbering_period(old, day), numbering_period(new, day)
    if before == after:
        return
    last = _counter_value(conn, field_id, before)
    if last is None:
        return
    t, key = _counter(field_id, after)
    current = conn.execute(sa.select(t.c.value).where(*key)).scalar()
    if current is None:
        conn.execute(sa.insert(t).values(field_id=field_id, value=last, **_period(after)))
    elif current < last:
        conn.execute(sa.update(t).where(*key).values(value=last))


def _counter_value(conn: sa.Connection, field_id: int, period: str) -> int | None:
    """The last number ``field_id``'s counter for ``period`` gave (None: none yet)."""
    t, key = _counter(field_id, period)
    value = conn.execute(sa.select(t.c.value).where(*key)).scalar()
    return None if value is None else int(value)


def _counter(field_id: int, period: str) -> tuple[sa.Table, list[Any]]:
    """The table holding a counter and the condition naming its row."""
    if period:
        t = system.number_counters
        return t, [t.c.field_id == field_id, t.c.period == period]
    t = system.sequences
    return t, [t.c.field_id == field_id]


def _period(period: str) -> dict[str, str]:
    return {"period": period} if period else {}
