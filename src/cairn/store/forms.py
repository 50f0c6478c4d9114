"""Rows of ``form_variants``: a table's forms besides its own layout, versioned."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.store import changes, system, versioned


def for_table(conn: sa.Connection, table_id: int) -> list[Any]:
    """The table's form variants in their order."""
    v = system.form_variants
    q = sa.select(v).where(v.c.table_id == table_id).order_by(v.c.position, v.c.id)
    return list(conn.execute(q))


def get(conn: sa.Connection, table_id: int, key: str) -> Any | None:
    v = system.form_variants
    return conn.execute(sa.select(v).where(v.c.table_id == table_id, v.c.key == key)).first()


def insert(conn: sa.Connection, now: datetime, **values: Any) -> Any:
    v = system.form_variants
    row = conn.execute(
        sa.insert(v).values(**values, created_at=now, updated_at=now).returning(*v.c)
    ).one()
    changes.created(conn, v, row.id)
    return row


def update(
    conn: sa.Connection, variant_id: int, version: int, now: datetime, **values: Any
) -> Any | None:
    """The row after the change; None when ``version`` is not its current one."""
    v = system.form_variants
    if not versioned.update(conn, v, variant_id, version, now, **values):
        return None
    return conn.execute(sa.select(v).where(v.c.id == variant_id)).one()


def delete(conn: sa.Connection, variant_id: int) -> None:
    v = system.form_variants
    changes.touching(conn, v, variant_id)
    conn.execute(sa.delete(v).where(v.c.id == variant_id))


def department_name(conn: sa.Connection, user_id: int) -> str | None:
    """The name of a user's main department (what CURRENTDEPARTMENT() gives)."""
    u, d = system.users, system.departments
    q = sa.select(d.c.name).select_from(u.join(d, d.c.id == u.c.department_id))
    return conn.execute(q.where(u.c.id == user_id)).scalar()
