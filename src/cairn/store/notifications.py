"""Rows of the notification system tables: ``notifications`` (the in-app centre) and
``channel_configs``; ``deliveries`` (what was sent through an outside channel) are in
``store.deliveries``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from cairn.store import changes, deliveries
from cairn.store.system import channel_configs as cc
from cairn.store.system import notifications as nt


def _insert_ignoring_duplicate(conn: sa.Connection, table: sa.Table, values: dict) -> int | None:
    """Insert a row unless its ``idempotency_key`` is taken; the new id, or None."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    q = (
        dialect.insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(table.c.id)
    )
    return conn.execute(q).scalar()


# -- the in-app notification centre ------------------------------------------------------------
def add(
    conn: sa.Connection,
    now: datetime,
    *,
    user_id: int,
    title: str,
    body: str = "",
    link: str | None = None,
    app_id: int | None = None,
    table_id: int | None = None,
    record_id: int | None = None,
    idempotency_key: str | None = None,
) -> int | None:
    """A notification for ``user_id``; None when one with the same key exists already."""
    values = {
        "user_id": user_id,
        "title": title[:500],
        "body": body,
        "link": link,
        "app_id": app_id,
        "table_id": table_id,
        "record_id": record_id,
        "created_at": now,
        "idempotency_key": idempotency_key,
    }
    if idempotency_key is None:
        return conn.execute(sa.insert(nt).values(**values).returning(nt.c.id)).scalar_one()
    return _insert_ignoring_duplicate(conn, nt, values)


def add_many(conn: sa.Connection, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Notifications (``add``'s values, each with its ``idempotency_key`` and ``created_at``)
    in one multi-row insert that skips a key taken already: key → the id of each new row."""
    if not rows:
        return {}
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    q = (
        dialect.insert(nt)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(nt.c.idempotency_key, nt.c.id)
    )
    values = [{**r, "title": r["title"][:500]} for r in rows]
    return {key: new_id for key, new_id in conn.execute(q, values)}


def ids_by_keys(conn: sa.Connection, keys: Sequence[str]) -> dict[str, int]:
    """key → notification id, for the keys that have one."""
    out: dict[str, int] = {}
    for i in range(0, len(keys), 500):
        q = sa.select(nt.c.idempotency_key, nt.c.id).where(
            nt.c.idempotency_key.in_(list(keys[i : i + 500]))
        )
        out.update({key: new_id for key, new_id in conn.execute(q)})
    return out


def by_key(conn: sa.Connection, idempotency_key: str) -> sa.RowMapping | None:
    return (
        conn.execute(sa.select(nt).where(nt.c.idempotency_key == idempotency_key))
        .mappings()
        .first()
    )


def page(
    conn: sa.Connection, user_id: int, *, unread: bool, before: int | None, limit: int
) -> list[sa.RowMapping]:
    """A user's notifications, newest first, ids below ``before`` (keyset paging)."""
    q = sa.select(nt).where(nt.c.user_id == user_id)
    if unread:
        q = q.where(nt.c.read_at.is_(None))
    if before is not None:
        q = q.where(nt.c.id < before)
    return list(conn.execute(q.order_by(nt.c.id.desc()).limit(limit)).mappings())


def unread_count(conn: sa.Connection, user_id: int) -> int:
    q = sa.select(sa.func.count()).where(nt.c.user_id == user_id, nt.c.read_at.is_(None))
    return conn.execute(q).scalar_one()


def get(conn: sa.Connection, user_id: int, notification_id: int) -> sa.RowMapping | None:
    q = sa.select(nt).where(nt.c.id == notification_id, nt.c.user_id == user_id)
    return conn.execute(q).mappings().first()


def mark_read(
    conn: sa.Connection, user_id: int, now: datetime, notification_id: int | None = None
) -> int:
    """Mark one (or, without an id, every) unread notification of the user read; how many."""
    q = sa.update(nt).where(nt.c.user_id == user_id, nt.c.read_at.is_(None))
    if notification_id is not None:
        q = q.where(nt.c.id == notification_id)
    return conn.execute(q.values(read_at=now)).rowcount


# -- channel settings ----------------------------------------------------------------------------
def list_configs(conn: sa.Connection) -> list[sa.RowMapping]:
    return list(conn.execute(sa.select(cc).order_by(cc.c.key)).mappings())


def config(conn: sa.Connection, key: str) -> sa.RowMapping | None:
    return conn.execute(sa.select(cc).where(cc.c.key == key)).mappings().first()


def insert_config(conn: sa.Connection, now: datetime, **values: Any) -> int:
    q = sa.insert(cc).values(created_at=now, updated_at=now, **values).returning(cc.c.id)
    new_id = conn.execute(q).scalar_one()
    changes.created(conn, cc, values["key"])
    return new_id


def update_config(conn: sa.Connection, key: str, now: datetime, **values: Any) -> None:
    changes.touching(conn, cc, key)
    conn.execute(sa.update(cc).where(cc.c.key == key).values(updated_at=now, **values))


def delete_config(conn: sa.Connection, key: str) -> None:
    changes.touching(conn, cc, key)
    conn.execute(sa.delete(cc).where(cc.c.key == key))


def purge(conn: sa.Connection, before: datetime) -> dict[str, int]:
    """Forget notifications read before ``before`` and deliveries sent before it (unread
    notifications and failed deliveries stay); how many of each."""
    read = conn.execute(
        sa.delete(nt).where(nt.c.read_at.is_not(None), nt.c.read_at < before)
    ).rowcount
    return {"notifications": read, "deliveries": deliveries.purge(conn, before)}
