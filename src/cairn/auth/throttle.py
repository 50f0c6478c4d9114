"""Sign-in throttling kept in the database (every API process sees the same counts).

Failures are counted per user name and per address within a window; reaching the limit locks
that key out for a while. The per-address limit is higher so a shared office address is not
locked by one user's mistakes."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from cairn.store import system

ADDRESS_FACTOR = 5


def keys(username: str, address: str | None) -> list[tuple[str, int]]:
    """The throttle keys of a sign-in and their failure-limit multipliers."""
    out = [("u:" + username.strip().lower()[:190], 1)]
    if address:
        out.append(("a:" + address[:190], ADDRESS_FACTOR))
    return out


def locked_until(conn: sa.Connection, names: list[str], now: datetime) -> datetime | None:
    t = system.login_throttle
    q = sa.select(sa.func.max(t.c.locked_until)).where(t.c.key.in_(names), t.c.locked_until > now)
    return conn.execute(q).scalar()


def record_failure(
    conn: sa.Connection,
    entries: list[tuple[str, int]],
    now: datetime,
    max_failures: int,
    lock: timedelta,
) -> datetime | None:
    """Count one failure on each key; returns the lock-out end when one started."""
    t = system.login_throttle
    started: datetime | None = None
    for key, factor in entries:
        row = conn.execute(sa.select(t).where(t.c.key == key).with_for_update()).first()
        if row is None or now - row.window_start > lock:
            failures, window_start = 1, now
            if row is None:
                conn.execute(
                    t.insert().values(key=key, failures=1, window_start=now, locked_until=None)
                )
            else:
                conn.execute(
                    t.update()
                    .where(t.c.key == key)
                    .values(failures=1, window_start=now, locked_until=None)
                )
        else:
            failures, window_start = row.failures + 1, row.window_start
            conn.execute(t.update().where(t.c.key == key).values(failures=failures))
        if failures >= max_failures * factor:
            until = now + lock
            conn.execute(
                t.update()
                .where(t.c.key == key)
                .values(locked_until=until, failures=0, window_start=now)
            )
            started = until
        _ = window_start
    return started


def clear(conn: sa.Connection, key: str) -> None:
    t = system.login_throttle
    conn.execute(t.delete().where(t.c.key == key))
