"""The test clock's one row: the offset from real time (microseconds) and its version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from cairn.store import system

ROW_ID = 1


@dataclass(frozen=True)
class ClockState:
    offset: timedelta
    version: int


def read(conn: sa.Connection) -> ClockState:
    t = system.test_clock
    row = conn.execute(sa.select(t.c.offset_us, t.c.version).where(t.c.id == ROW_ID)).first()
    if row is None:
        return ClockState(timedelta(), 0)
    return ClockState(timedelta(microseconds=row.offset_us), row.version)


def move(conn: sa.Connection, seen: ClockState, offset: timedelta, now: datetime) -> bool:
    """Set the offset if the clock is still at ``seen`` (False: another advance came first)."""
    t = system.test_clock
    us = offset // timedelta(microseconds=1)
    if seen.version == 0:
        exists = conn.execute(sa.select(t.c.id).where(t.c.id == ROW_ID)).first()
        if exists is None:
            conn.execute(sa.insert(t).values(id=ROW_ID, offset_us=us, version=1, updated_at=now))
            return True
    done = conn.execute(
        sa.update(t)
        .where(t.c.id == ROW_ID, t.c.version == seen.version)
        .values(offset_us=us, version=seen.version + 1, updated_at=now)
    )
    return done.rowcount == 1
