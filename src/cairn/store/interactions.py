"""Interactions with customer records: rows of ``interactions`` (soft-deleted, so the audit
log's and the outbox's ids stay meaningful). Pages are keyset pages, newest first."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.store import system
from cairn.store.tables.interactions import interactions as t


def insert(conn: sa.Connection, now: datetime, **values: Any) -> int:
    """A new interaction (its columns as ``insight.interactions.clean`` gives them, plus the
    app, table, record, actor and idempotency key); its id."""
    return conn.execute(t.insert().values(created_at=now, **values).returning(t.c.id)).scalar_one()


def _select() -> sa.Select:
    u = system.users
    return sa.select(
        t.c.id,
        t.c.app_id,
        t.c.table_id,
        t.c.record_id,
        t.c.kind,
        t.c.direction,
        t.c.occurred_at,
        t.c.subject,
        t.c.body,
        t.c.duration_seconds,
        t.c.source,
        t.c.idempotency_key,
        t.c.actor_id,
        u.c.username.label("actor_username"),
        u.c.display_name.label("actor_name"),
        t.c.created_at,
    ).select_from(t.outerjoin(u, u.c.id == t.c.actor_id))


def _iso(moment: datetime) -> str:
    return moment.isoformat() + "Z"


def public(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "table_id": row.table_id,
        "record_id": row.record_id,
        "kind": row.kind,
        "direction": row.direction,
        "occurred_at": _iso(row.occurred_at),
        "subject": row.subject,
        "body": row.body,
        "duration_seconds": row.duration_seconds,
        "source": row.source,
        "idempotency_key": row.idempotency_key,
        "actor": {
            "id": row.actor_id,
            "username": row.actor_username,
            "display_name": row.actor_name,
        }
        if row.actor_id is not None
        else None,
        "created_at": _iso(row.created_at),
    }


def get(conn: sa.Connection, table_id: int, record_id: int, interaction_id: int) -> Any:
    """A live interaction of the record, or None."""
    q = _select().where(
        t.c.id == interaction_id,
        t.c.table_id == table_id,
        t.c.record_id == record_id,
        t.c.deleted_at.is_(None),
    )
    return conn.execute(q).first()


def by_idempotency_key(conn: sa.Connection, app_id: int, key: str) -> Any:
    """The interaction an app stored under a posting system's key (deleted or not: a key is
    used once)."""
    return conn.execute(_select().where(t.c.app_id == app_id, t.c.idempotency_key == key)).first()


def encode_cursor(row: Any) -> str:
    text = f"{row.occurred_at.isoformat()}|{row.id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    """The (moment, id) a cursor continues after; None for what is no cursor of ours."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, _, rid = text.partition("|")
        return datetime.fromisoformat(moment), int(rid)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def page(
    conn: sa.Connection,
    table_id: int,
    record_id: int,
    *,
    limit: int,
    after: tuple[datetime, int] | None = None,
    kinds: list[str] | None = None,
) -> tuple[list[Any], str | None]:
    """The record's live interactions, newest first (then by id), ``limit`` a page, after the
    cursor's row; and the next page's cursor (None on the last page). Served by the index on
    (table_id, record_id, occurred_at)."""
    q = _select().where(
        t.c.table_id == table_id, t.c.record_id == record_id, t.c.deleted_at.is_(None)
    )
    if kinds:
        q = q.where(t.c.kind.in_(kinds))
    if after is not None:
        moment, last_id = after
        q = q.where(
            sa.or_(
                t.c.occurred_at < moment,
                sa.and_(t.c.occurred_at == moment, t.c.id < last_id),
            )
        )
    rows = list(conn.execute(q.order_by(t.c.occurred_at.desc(), t.c.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1]) if more else None


def count(conn: sa.Connection, table_id: int, record_id: int) -> int:
    return conn.execute(
        sa.select(sa.func.count())
        .select_from(t)
        .where(t.c.table_id == table_id, t.c.record_id == record_id, t.c.deleted_at.is_(None))
    ).scalar_one()


def soft_delete(conn: sa.Connection, interaction_id: int, now: datetime) -> None:
    conn.execute(t.update().where(t.c.id == interaction_id).values(deleted_at=now))
