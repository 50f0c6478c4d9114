"""Optimistic concurrency for definition rows that carry a ``version`` (rules, dashboards,
alerts): an update applies only to the version it was based on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.store import changes


def update(
    conn: sa.Connection, table: sa.Table, row_id: int, version: int, now: datetime, **values: Any
) -> bool:
    """Change the row if it is still at ``version`` (bumping it); False when it moved on."""
    changes.touching(conn, table, row_id)
    q = (
        sa.update(table)
        .where(table.c.id == row_id, table.c.version == version)
        .values(updated_at=now, version=table.c.version + 1, **values)
    )
    return conn.execute(q).rowcount == 1
