"""Comments on records: rows of ``record_comments`` (soft-deleted, so the audit log's ids stay
meaningful)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.store import system

#: "@name" not preceded by a letter, digit or @ (so an e-mail address is no mention); user
#: names may hold letters, digits and . _ @ - (a trailing "." ends the sentence, not the name).
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9._-]{1,64})")


def mentioned_names(body: str) -> list[str]:
    """The user names ``body`` mentions, in order, each once."""
    out: list[str] = []
    for m in MENTION.finditer(body):
        name = m.group(1).rstrip(".")
        if name and name.lower() not in (n.lower() for n in out):
            out.append(name)
    return out


def public(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "record_id": row.record_id,
        "author_id": row.author_id,
        "author": {
            "id": row.author_id,
            "username": row.author_username,
            "display_name": row.author_name,
        }
        if row.author_id is not None
        else None,
        "body": row.body,
        "mentions": list(row.mentions or []),
        "created_at": row.created_at.isoformat() + "Z",
    }


def insert(
    conn: sa.Connection,
    now: datetime,
    *,
    table_id: int,
    record_id: int,
    author_id: int | None,
    body: str,
    mentions: list[int],
) -> int:
    c = system.record_comments
    return conn.execute(
        c.insert()
        .values(
            table_id=table_id,
            record_id=record_id,
            author_id=author_id,
            body=body,
            mentions=mentions,
            created_at=now,
        )
        .returning(c.c.id)
    ).scalar_one()


def _select() -> sa.Select:
    c, u = system.record_comments, system.users
    return sa.select(
        c.c.id,
        c.c.table_id,
        c.c.record_id,
        c.c.author_id,
        u.c.username.label("author_username"),
        u.c.display_name.label("author_name"),
        c.c.body,
        c.c.mentions,
        c.c.created_at,
    ).select_from(c.outerjoin(u, u.c.id == c.c.author_id))


def for_record(conn: sa.Connection, table_id: int, record_id: int) -> list[Any]:
    """The record's comments that are not deleted, oldest first."""
    c = system.record_comments
    q = _select().where(
        c.c.table_id == table_id, c.c.record_id == record_id, c.c.deleted_at.is_(None)
    )
    return list(conn.execute(q.order_by(c.c.id)))


def get(conn: sa.Connection, table_id: int, record_id: int, comment_id: int) -> Any:
    c = system.record_comments
    q = _select().where(
        c.c.id == comment_id,
        c.c.table_id == table_id,
        c.c.record_id == record_id,
        c.c.deleted_at.is_(None),
    )
    return conn.execute(q).first()


def soft_delete(conn: sa.Connection, comment_id: int, now: datetime) -> None:
    c = system.record_comments
    conn.execute(c.update().where(c.c.id == comment_id).values(deleted_at=now))


def users_by_username(conn: sa.Connection, names: list[str]) -> dict[str, Any]:
    """Active users by user name (case-insensitive), for @mentions."""
    if not names:
        return {}
    u = system.users
    lowered = sorted({n.lower() for n in names})
    rows = conn.execute(
        sa.select(u.c.id, u.c.username, u.c.display_name).where(
            sa.func.lower(u.c.username).in_(lowered), u.c.status == "active"
        )
    )
    return {r.username.lower(): r for r in rows}
