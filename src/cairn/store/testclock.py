"""The test clock's one row (the offset from real time, in microseconds, and its version), and
the clock that reads it (``StoredTestClock``: real time plus that offset, cached)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from cairn.core import Clock, OffsetClock
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


class StoredTestClock(OffsetClock):
    """``base`` plus the offset stored in the database, cached for ``ttl`` seconds."""

    def __init__(self, base: Clock, engine: sa.Engine, ttl: float) -> None:
        super().__init__(base, lambda: self.state().offset)
        self.engine = engine
        self.ttl = ttl
        self.monotonic = time.monotonic  # tests move it
        self._state: ClockState | None = None
        self._read_at = 0.0
        self._lock = threading.Lock()

    def state(self) -> ClockState:
        """The offset and version, re-read when older than ``ttl``. While one thread re-reads,
        the others go on with the value they had (no second connection waits on the pool)."""
        state = self._state
        if state is not None and self.monotonic() - self._read_at < self.ttl:
            return state
        if state is not None and not self._lock.acquire(blocking=False):
            return state
        if state is None:
            self._lock.acquire()
        try:
            return self.refresh()
        finally:
            self._lock.release()

    def refresh(self) -> ClockState:
        with self.engine.connect() as conn:
            conn.info["write"] = False  # SQLite: a plain BEGIN, beside a writer's lock
            try:
                state = read(conn)
            finally:
                conn.info.pop("write", None)  # the pooled connection's next user decides
        self._state, self._read_at = state, self.monotonic()
        return state

    def invalidate(self) -> None:
        self._state = None
