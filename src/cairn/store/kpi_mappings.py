"""Rows of the ``kpi_mappings`` system table: per app and KPI, the parameters it takes there."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.store import changes
from cairn.store.system import kpi_mappings as t


def list_for(conn: sa.Connection, app_id: int) -> list[sa.RowMapping]:
    q = sa.select(t).where(t.c.app_id == app_id).order_by(t.c.kpi)
    return list(conn.execute(q).mappings())


def get(conn: sa.Connection, app_id: int, kpi: str) -> sa.RowMapping | None:
    q = sa.select(t).where(t.c.app_id == app_id, t.c.kpi == kpi)
    return conn.execute(q).mappings().first()


def put(conn: sa.Connection, app_id: int, kpi: str, params: dict[str, Any], now: datetime) -> None:
    """Set the KPI's parameters in the app (a new mapping, or the old one replaced)."""
    row = get(conn, app_id, kpi)
    if row is None:
        q = sa.insert(t).values(
            app_id=app_id, kpi=kpi, params=params, created_at=now, updated_at=now
        )
        changes.created(conn, t, conn.execute(q.returning(t.c.id)).scalar_one())
        return
    changes.touching(conn, t, row["id"])
    conn.execute(sa.update(t).where(t.c.id == row["id"]).values(params=params, updated_at=now))


def delete(conn: sa.Connection, app_id: int, kpi: str) -> bool:
    """Forget the mapping; False when there was none."""
    row = get(conn, app_id, kpi)
    if row is None:
        return False
    changes.touching(conn, t, row["id"])
    conn.execute(sa.delete(t).where(t.c.id == row["id"]))
    return True
