"""API tokens: per user, named, expiring, optionally read-only, stored as SHA-256 only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.auth.secrets import TOKEN_PREFIX, digest, new_api_token, same
from cairn.core import NotFound
from cairn.store import system

#: Characters of the token shown in lists (enough to tell tokens apart, useless to an attacker).
SHOWN = len(TOKEN_PREFIX) + 4


def create(
    conn: sa.Connection,
    user_id: int,
    name: str,
    now: datetime,
    expires_at: datetime | None,
    read_only: bool,
) -> tuple[int, str]:
    """(token id, the token): the only time the token is seen."""
    token = new_api_token()
    t = system.api_tokens
    token_id = conn.execute(
        t.insert()
        .values(
            user_id=user_id,
            name=name,
            prefix=token[:SHOWN],
            token_hash=digest(token),
            read_only=read_only,
            created_at=now,
            expires_at=expires_at,
        )
        .returning(t.c.id)
    ).scalar_one()
    return token_id, token


def find(conn: sa.Connection, token: str, now: datetime) -> Any:
    """The live token row for a presented token, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    t = system.api_tokens
    h = digest(token)
    row = conn.execute(
        sa.select(t).where(
            t.c.token_hash == h,
            t.c.revoked_at.is_(None),
            sa.or_(t.c.expires_at.is_(None), t.c.expires_at > now),
        )
    ).first()
    # The look-up is by digest; compare again in constant time so no early exit leaks timing.
    if row is None or not same(row.token_hash, h):
        return None
    return row


def public(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "user_id": row.user_id,
        "name": row.name,
        "prefix": row.prefix,
        "read_only": bool(row.read_only),
        "created_at": row.created_at.isoformat() + "Z",
        "expires_at": row.expires_at.isoformat() + "Z" if row.expires_at else None,
        "last_used_at": row.last_used_at.isoformat() + "Z" if row.last_used_at else None,
        "revoked_at": row.revoked_at.isoformat() + "Z" if row.revoked_at else None,
    }


def get(conn: sa.Connection, token_id: int) -> Any:
    t = system.api_tokens
    row = conn.execute(sa.select(t).where(t.c.id == token_id)).first()
    if row is None:
        raise NotFound("token.not_found", id=token_id)
    return row


def revoke(conn: sa.Connection, token_id: int, now: datetime) -> None:
    t = system.api_tokens
    conn.execute(
        t.update().where(t.c.id == token_id, t.c.revoked_at.is_(None)).values(revoked_at=now)
    )


def list_for(conn: sa.Connection, user_id: int | None) -> list[Any]:
    t = system.api_tokens
    q = sa.select(t).order_by(t.c.id)
    if user_id is not None:
        q = q.where(t.c.user_id == user_id)
    return list(conn.execute(q))


def touch(conn: sa.Connection, token_id: int, now: datetime) -> None:
    """Record the token's last use."""
    t = system.api_tokens
    conn.execute(t.update().where(t.c.id == token_id).values(last_used_at=now))
