"""Server-side sessions of the web UI. The cookie holds a random secret; the table holds its
SHA-256, the CSRF token, and the expiry (idle timeout, extended while the session is used)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from cairn.auth.principal import Principal
from cairn.auth.secrets import digest, new_secret
from cairn.store import system

#: A session's expiry is pushed forward at most this often (saves a write per request).
TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class NewSession:
    cookie: str
    csrf_token: str
    expires_at: datetime


def create(
    conn: sa.Connection,
    user_id: int,
    now: datetime,
    ttl: timedelta,
    address: str | None,
    user_agent: str | None,
) -> NewSession:
    cookie, csrf = new_secret(), new_secret()
    conn.execute(
        system.sessions.insert().values(
            id=digest(cookie),
            user_id=user_id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + ttl,
            last_seen_at=now,
            address=(address or "")[:64] or None,
            user_agent=(user_agent or "")[:255] or None,
        )
    )
    return NewSession(cookie, csrf, now + ttl)


def find(conn: sa.Connection, cookie: str, now: datetime) -> Any:
    """The live session row for a cookie value, or None."""
    s = system.sessions
    row = conn.execute(sa.select(s).where(s.c.id == digest(cookie), s.c.expires_at > now)).first()
    return row


def touch(conn: sa.Connection, session_id: str, now: datetime, ttl: timedelta) -> None:
    s = system.sessions
    conn.execute(
        s.update()
        .where(s.c.id == session_id, s.c.last_seen_at < now - TOUCH_EVERY)
        .values(last_seen_at=now, expires_at=now + ttl)
    )


def end(conn: sa.Connection, session_id: str) -> None:
    conn.execute(system.sessions.delete().where(system.sessions.c.id == session_id))


def end_all(conn: sa.Connection, user_id: int) -> int:
    s = system.sessions
    return conn.execute(s.delete().where(s.c.user_id == user_id)).rowcount


def purge_expired(conn: sa.Connection, now: datetime) -> None:
    s = system.sessions
    conn.execute(s.delete().where(s.c.expires_at <= now))


def find_by_id(conn: sa.Connection, session_id: str) -> Any:
    s = system.sessions
    return conn.execute(sa.select(s).where(s.c.id == session_id)).first()


@dataclass(frozen=True)
class SignedIn:
    """A sign-in's result: the user, the session cookie and its CSRF token."""

    user: dict[str, Any]
    cookie: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class Authenticated:
    """Who a request is from, and the CSRF token its session expects."""

    principal: Principal
    csrf_token: str | None  # set for a session
