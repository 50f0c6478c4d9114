"""Rows of the ``alerts`` and ``alert_checks`` system tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.store import changes, versioned
from cairn.store.system import alert_checks as ck
from cairn.store.system import alerts as t


def list_for(conn: sa.Connection, app_id: int) -> list[sa.RowMapping]:
    return list(conn.execute(sa.select(t).where(t.c.app_id == app_id).order_by(t.c.id)).mappings())


def get(conn: sa.Connection, app_id: int | None, alert_id: int) -> sa.RowMapping | None:
    q = sa.select(t).where(t.c.id == alert_id)
    if app_id is not None:
        q = q.where(t.c.app_id == app_id)
    return conn.execute(q).mappings().first()


def key_taken(conn: sa.Connection, app_id: int, key: str, other_than: int | None = None) -> bool:
    q = sa.select(t.c.id).where(t.c.app_id == app_id, t.c.key == key)
    if other_than is not None:
        q = q.where(t.c.id != other_than)
    return conn.execute(q.limit(1)).first() is not None


def insert(conn: sa.Connection, now: datetime, **values: Any) -> int:
    q = sa.insert(t).values(created_at=now, updated_at=now, **values)
    new_id = int(conn.execute(q.returning(t.c.id)).scalar_one())
    changes.created(conn, t, new_id)
    return new_id


def update(conn: sa.Connection, alert_id: int, version: int, now: datetime, **values: Any) -> bool:
    """Change an alert if it is still at ``version``; False when it moved on."""
    return versioned.update(conn, t, alert_id, version, now, **values)


def delete(conn: sa.Connection, alert_id: int) -> None:
    changes.touching(conn, t, alert_id)
    conn.execute(sa.delete(ck).where(ck.c.alert_id == alert_id))
    conn.execute(sa.delete(t).where(t.c.id == alert_id))


def due(conn: sa.Connection, now: datetime, limit: int = 500) -> list[sa.RowMapping]:
    """Enabled alerts whose next check has come (an indexed scan of ``next_check_at``)."""
    q = (
        sa.select(t.c.id, t.c.next_check_at)
        .where(t.c.next_check_at <= now, t.c.enabled.is_(True))
        .order_by(t.c.next_check_at, t.c.id)
        .limit(limit)
    )
    return list(conn.execute(q).mappings())


def claim(conn: sa.Connection, alert_id: int, seen: datetime, next_at: datetime) -> bool:
    """Move the next check on, if nobody else did since ``seen``: True when this caller checks."""
    q = (
        sa.update(t)
        .where(t.c.id == alert_id, t.c.next_check_at == seen)
        .values(next_check_at=next_at)
    )
    return conn.execute(q).rowcount == 1


def set_state(conn: sa.Connection, alert_id: int, **values: Any) -> None:
    conn.execute(sa.update(t).where(t.c.id == alert_id).values(**values))


def cross(conn: sa.Connection, alert_id: int, now: datetime) -> int | None:
    """ok → firing: the crossing's number, or None when the alert was firing already."""
    q = (
        sa.update(t)
        .where(t.c.id == alert_id, t.c.state == "ok")
        .values(state="firing", crossings=t.c.crossings + 1, last_fired_at=now)
    )
    if conn.execute(q).rowcount != 1:
        return None
    return int(conn.execute(sa.select(t.c.crossings).where(t.c.id == alert_id)).scalar_one())


def add_check(conn: sa.Connection, **values: Any) -> int:
    return int(conn.execute(sa.insert(ck).values(**values).returning(ck.c.id)).scalar_one())


def get_check(conn: sa.Connection, check_id: int) -> sa.RowMapping | None:
    return conn.execute(sa.select(ck).where(ck.c.id == check_id)).mappings().first()


def set_check(conn: sa.Connection, check_id: int, **values: Any) -> None:
    conn.execute(sa.update(ck).where(ck.c.id == check_id).values(**values))


def list_checks(
    conn: sa.Connection, alert_id: int, limit: int, before: int | None = None
) -> list[sa.RowMapping]:
    q = sa.select(ck).where(ck.c.alert_id == alert_id)
    if before is not None:
        q = q.where(ck.c.id < before)
    return list(conn.execute(q.order_by(ck.c.id.desc()).limit(limit)).mappings())


def unfinished(conn: sa.Connection, limit: int = 100) -> list[sa.RowMapping]:
    """Crossings whose actions are not all done (a crash or a retryable failure)."""
    q = sa.select(ck.c.id, ck.c.alert_id).where(ck.c.status == "running").order_by(ck.c.id)
    return list(conn.execute(q.limit(limit)).mappings())


def purge_checks(conn: sa.Connection, before: datetime) -> int:
    """Forget finished checks older than ``before`` that changed nothing (crossings,
    recoveries, errors and failures stay); how many."""
    q = sa.delete(ck).where(ck.c.checked_at < before, ck.c.status == "ok", ck.c.change.is_(None))
    return int(conn.execute(q).rowcount or 0)
