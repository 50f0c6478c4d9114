"""Field-level change history: one row per mutation with {field id: [before, after]}."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.store import system
from cairn.store.bulk import insert_many


def append(conn: sa.Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Rows carry table_id, record_id, version, action, changes, actor_id, at."""
    insert_many(conn, system.history, rows)


def for_record(
    conn: sa.Connection,
    table_id: int,
    record_id: int,
    limit: int = 200,
    before_id: int | None = None,
) -> list[Any]:
    h = system.history
    q = (
        sa.select(h)
        .where(h.c.table_id == table_id, h.c.record_id == record_id)
        .order_by(h.c.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        q = q.where(h.c.id < before_id)
    return list(conn.execute(q))


def entry(
    table_id: int,
    record_id: int,
    version: int,
    action: str,
    changes: dict[str, Any],
    actor_id: int | None,
    at: datetime,
) -> dict[str, Any]:
    return {
        "table_id": table_id,
        "record_id": record_id,
        "version": version,
        "action": action,
        "changes": changes,
        "actor_id": actor_id,
        "at": at,
    }
