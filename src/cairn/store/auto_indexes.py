"""The register of automatic indexes (``system.auto_indexes``): one row per index the platform
created, with the query shape that asked for it and the day a query it serves last ran."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.store.system import auto_indexes as T


@dataclass(frozen=True)
class AutoIndex:
    name: str
    table_id: int
    kind: str
    columns: list[str]
    shape: dict[str, Any]
    uses: int
    created_at: datetime
    last_used_at: datetime | None

    @property
    def last_seen(self) -> datetime:
        """When it was last of use (its creation, if no query has used it since)."""
        return self.last_used_at or self.created_at


def _row(r: Any) -> AutoIndex:
    return AutoIndex(
        r.name,
        int(r.table_id),
        r.kind,
        list(r.columns),
        dict(r.shape),
        int(r.uses),
        r.created_at,
        r.last_used_at,
    )


def register(
    conn: sa.Connection,
    name: str,
    table_id: int,
    kind: str,
    columns: Sequence[str],
    shape: dict[str, Any],
    uses: int,
    now: datetime,
) -> None:
    """Record an index (once: another process may have recorded it first)."""
    if conn.execute(sa.select(T.c.name).where(T.c.name == name)).first() is not None:
        return
    conn.execute(
        T.insert().values(
            name=name,
            table_id=table_id,
            kind=kind,
            columns=list(columns),
            shape=shape,
            uses=uses,
            created_at=now,
        )
    )


def touch(conn: sa.Connection, names: Iterable[str], now: datetime) -> None:
    """A query served by each of ``names`` ran at ``now`` (names not registered: nothing)."""
    names = sorted(set(names))
    if names:
        conn.execute(
            T.update()
            .where(T.c.name.in_(names), sa.or_(T.c.last_used_at.is_(None), T.c.last_used_at < now))
            .values(last_used_at=now)
        )


def of_table(conn: sa.Connection, table_id: int) -> list[AutoIndex]:
    rows = conn.execute(sa.select(T).where(T.c.table_id == table_id).order_by(T.c.name))
    return [_row(r) for r in rows]


def everything(conn: sa.Connection) -> list[AutoIndex]:
    return [_row(r) for r in conn.execute(sa.select(T).order_by(T.c.name))]


def forget(conn: sa.Connection, names: Iterable[str]) -> None:
    names = sorted(set(names))
    if names:
        conn.execute(T.delete().where(T.c.name.in_(names)))
