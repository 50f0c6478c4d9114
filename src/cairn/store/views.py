"""Saved grid views: rows of ``grid_views``, versioned for optimistic updates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.store import changes, system, versioned


def for_reader(conn: sa.Connection, table_id: int, user_id: int | None) -> list[Any]:
    """The views of a table a reader may use: their own, then the shared ones, each by name."""
    v = system.grid_views
    mine = v.c.owner_id == user_id if user_id is not None else False
    return conn.execute(
        sa.select(v)
        .where(v.c.table_id == table_id, sa.or_(v.c.shared.is_(True), mine))
        .order_by(v.c.shared, v.c.name, v.c.id)
    ).all()


def count_owned(conn: sa.Connection, user_id: int) -> int:
    v = system.grid_views
    return conn.execute(sa.select(sa.func.count()).where(v.c.owner_id == user_id)).scalar_one()


def insert(conn: sa.Connection, now: datetime, **values: Any) -> Any:
    """A new view's row."""
    v = system.grid_views
    row = conn.execute(
        sa.insert(v).values(**values, created_at=now, updated_at=now).returning(*v.c)
    ).one()
    changes.created(conn, v, row.id)
    return row


def get(conn: sa.Connection, table_id: int, view_id: int) -> Any | None:
    v = system.grid_views
    return conn.execute(sa.select(v).where(v.c.id == view_id, v.c.table_id == table_id)).first()


def update(
    conn: sa.Connection, view_id: int, version: int, now: datetime, **values: Any
) -> Any | None:
    """The view's row after the change; None when ``version`` is not its current one."""
    v = system.grid_views
    if not versioned.update(conn, v, view_id, version, now, **values):
        return None
    return conn.execute(sa.select(v).where(v.c.id == view_id)).one()


def delete(conn: sa.Connection, view_id: int) -> None:
    v = system.grid_views
    changes.touching(conn, v, view_id)
    conn.execute(sa.delete(v).where(v.c.id == view_id))
