"""Platform members, as far as the form engine needs them (the auth issue owns the rest)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from cairn.store import system


def active_ids(conn: sa.Connection, ids: Iterable[int]) -> set[int]:
    u = system.users
    wanted = list(ids)
    q = sa.select(u.c.id).where(u.c.id.in_(wanted), u.c.status == "active")
    return set(conn.execute(q).scalars())


def display_names(conn: sa.Connection, ids: Iterable[int | None]) -> dict[int, str]:
    """``{id: display name}`` of these users (disabled ones too: a record still names them),
    in one query; ``None`` (nobody) is skipped."""
    wanted = list({i for i in ids if i is not None})
    if not wanted:
        return {}
    u = system.users
    q = sa.select(u.c.id, u.c.display_name).where(u.c.id.in_(wanted))
    return {i: name for i, name in conn.execute(q)}


def account(conn: sa.Connection, user_id: int) -> sa.Row[Any] | None:
    """(id, username, is_admin, status) of a user, or None (a rule or alert owner's
    principal is built from it)."""
    u = system.users
    q = sa.select(u.c.id, u.c.username, u.c.is_admin, u.c.status).where(u.c.id == user_id)
    return conn.execute(q).first()


def named(conn: sa.Connection, names: Iterable[str]) -> list[tuple[int, str, str]]:
    """(id, username, display name) of the active users whose login or display name is one
    of ``names`` (an import names users this way)."""
    wanted = list({n for n in names if n})
    if not wanted:
        return []
    u = system.users
    q = sa.select(u.c.id, u.c.username, u.c.display_name).where(
        u.c.status == "active", sa.or_(u.c.username.in_(wanted), u.c.display_name.in_(wanted))
    )
    return [(r.id, r.username, r.display_name) for r in conn.execute(q)]
