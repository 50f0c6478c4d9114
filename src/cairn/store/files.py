"""Rows of uploaded files (the bytes live under the data directory)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from cairn.store import system


def insert(conn: sa.Connection, **values: Any) -> None:
    conn.execute(sa.insert(system.files).values(**values))


def get(conn: sa.Connection, file_id: str) -> Any:
    return conn.execute(sa.select(system.files).where(system.files.c.id == file_id)).first()


def describe(conn: sa.Connection, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Name, size, type and download address of each existing file among ``ids``: one query."""
    wanted = list(ids)
    if not wanted:
        return {}
    fl = system.files
    q = sa.select(fl.c.id, fl.c.name, fl.c.size, fl.c.mime).where(fl.c.id.in_(wanted))
    return {
        r.id: {
            "id": r.id,
            "name": r.name,
            "size": r.size,
            "mime": r.mime,
            "url": f"/api/v1/files/{r.id}",
        }
        for r in conn.execute(q)
    }
