"""Rows of the ``dashboards`` system table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.store import changes, versioned
from cairn.store.system import dashboards as t

COLUMNS = (t.c.id, t.c.key, t.c.name, t.c.description, t.c.definition, t.c.position, t.c.version, t.c.created_at, t.c.updated_at)  # fmt: skip


def list_for(conn: sa.Connection, app_id: int) -> list[sa.RowMapping]:
    q = sa.select(*COLUMNS).where(t.c.app_id == app_id).order_by(t.c.position, t.c.id)
    return list(conn.execute(q).mappings())


def get(conn: sa.Connection, app_id: int, dashboard_id: int) -> sa.RowMapping | None:
    q = sa.select(*COLUMNS).where(t.c.app_id == app_id, t.c.id == dashboard_id)
    return conn.execute(q).mappings().first()


def key_taken(conn: sa.Connection, app_id: int, key: str, other_than: int | None = None) -> bool:
    q = sa.select(t.c.id).where(t.c.app_id == app_id, t.c.key == key)
    if other_than is not None:
        q = q.where(t.c.id != other_than)
    return conn.execute(q.limit(1)).first() is not None


def insert(conn: sa.Connection, app_id: int, now: datetime, **values: Any) -> int:
    q = sa.insert(t).values(app_id=app_id, created_at=now, updated_at=now, **values)
    new_id = conn.execute(q.returning(t.c.id)).scalar_one()
    changes.created(conn, t, new_id)
    return new_id


def update(
    conn: sa.Connection, dashboard_id: int, version: int, now: datetime, **values: Any
) -> bool:
    """Change a dashboard if it is still at ``version``; False when it moved on."""
    return versioned.update(conn, t, dashboard_id, version, now, **values)


def delete(conn: sa.Connection, dashboard_id: int) -> None:
    changes.touching(conn, t, dashboard_id)
    conn.execute(sa.delete(t).where(t.c.id == dashboard_id))
