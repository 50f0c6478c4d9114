"""The transactional outbox: events are appended in the caller's transaction and consumed by
workers at least once (claim → handle → ack; a failed handler releases with a back-off)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from cairn.core import Event
from cairn.store import data_versions, system
from cairn.store.bulk import insert_columns

#: Attempts per event before it is marked failed (a handler may look: on the last attempt the
#: rule engine records its run as failed instead of raising).
MAX_ATTEMPTS = 10


@dataclass(frozen=True)
class OutboxEvent:
    """A claimed event as the dispatcher (``cairn.worker.dispatch``) hands it to handlers."""

    id: int
    type: str
    app_id: int | None
    table_id: int | None
    record_id: int | None
    payload: dict[str, Any]
    actor_id: int | None
    created_at: datetime
    attempts: int

    @classmethod
    def from_row(cls, row: Any) -> OutboxEvent:
        return cls(
            id=row.id,
            type=row.type,
            app_id=row.app_id,
            table_id=row.table_id,
            record_id=row.record_id,
            payload=row.payload or {},
            actor_id=row.actor_id,
            created_at=row.created_at,
            attempts=row.attempts,
        )


def append(
    conn: sa.Connection,
    events: Sequence[Event],
    now: datetime,
    meta: dict[str, Any] | None = None,
) -> None:
    """Append ``events``, ``meta`` (a unit of work's ``event_meta``) merged into each payload."""
    if not events:
        return
    n = len(events)
    payloads = [e.payload for e in events] if not meta else _with_meta(events, meta)
    insert_columns(
        conn,
        system.outbox,
        {
            "type": [e.type for e in events],
            "app_id": [e.app_id for e in events],
            "table_id": [e.table_id for e in events],
            "record_id": [e.record_id for e in events],
            "payload": payloads,
            "actor_id": [e.actor_id for e in events],
            "created_at": [now] * n,
            "available_at": [now] * n,
        },
    )


def _with_meta(events: Sequence[Event], meta: dict[str, Any]) -> list[dict[str, Any]]:
    """Each event's payload with ``meta``; events that share a payload (a bulk create's
    ``{"version": 1}``) share the merged one, so it is serialised once for the batch."""
    merged: dict[int, dict[str, Any]] = {}
    out = []
    for e in events:
        p = merged.get(id(e.payload))
        if p is None:
            p = merged[id(e.payload)] = {**e.payload, **meta}
        out.append(p)
    return out


def claim(
    conn: sa.Connection,
    worker: str,
    now: datetime,
    limit: int = 100,
    lease: timedelta = timedelta(minutes=5),
) -> list[Any]:
    """Take up to ``limit`` pending events for ``lease``; an unacknowledged event returns after it."""
    o = system.outbox
    q = (
        sa.select(o.c.id)
        .where(o.c.processed_at.is_(None), o.c.available_at <= now)
        .order_by(o.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    ids = list(conn.execute(q).scalars())
    if not ids:
        return []
    conn.execute(
        sa.update(o)
        .where(o.c.id.in_(ids))
        .values(claimed_by=worker, available_at=now + lease, attempts=o.c.attempts + 1)
    )
    return list(conn.execute(sa.select(o).where(o.c.id.in_(ids)).order_by(o.c.id)))


def ack(conn: sa.Connection, ids: Sequence[int], now: datetime) -> None:
    o = system.outbox
    conn.execute(
        sa.update(o).where(o.c.id.in_(list(ids))).values(processed_at=now, last_error=None)
    )


def release(conn: sa.Connection, event_id: int, error: str, retry_at: datetime) -> None:
    o = system.outbox
    conn.execute(
        sa.update(o)
        .where(o.c.id == event_id)
        .values(available_at=retry_at, last_error=error[:2000])
    )


def fail(conn: sa.Connection, event_id: int, error: str, now: datetime) -> None:
    """Give up on an event after its last attempt: settled, with the error kept for all to see."""
    o = system.outbox
    conn.execute(
        sa.update(o).where(o.c.id == event_id).values(processed_at=now, last_error=error[:2000])
    )


def failed(conn: sa.Connection, limit: int = 100) -> list[Any]:
    """Events given up on, newest first."""
    o = system.outbox
    q = (
        sa.select(o)
        .where(o.c.processed_at.is_not(None), o.c.last_error.is_not(None))
        .order_by(o.c.id.desc())
        .limit(limit)
    )
    return list(conn.execute(q))


def retry(conn: sa.Connection, event_id: int, now: datetime) -> bool:
    """Put a failed event back in the queue (attempts start again); False if it had not failed."""
    o = system.outbox
    result = conn.execute(
        sa.update(o)
        .where(o.c.id == event_id, o.c.processed_at.is_not(None), o.c.last_error.is_not(None))
        .values(processed_at=None, available_at=now, attempts=0)
    )
    return bool(result.rowcount)


def purge(conn: sa.Connection, before: datetime) -> int:
    """Delete events acknowledged before ``before`` (failed ones stay); returns how many.

    The newest event always stays: SQLite numbers a new row after the highest id left, so an
    emptied outbox would hand out old ids again (a rule's run key ``event:<id>`` and its
    enable point, ``last_id``, both count on ids only ever growing)."""
    o = system.outbox
    newest = sa.select(sa.func.max(o.c.id)).scalar_subquery()
    purgeable = (
        o.c.processed_at.is_not(None),
        o.c.processed_at < before,
        o.c.last_error.is_(None),
        o.c.id < newest,
    )
    top = conn.execute(sa.select(sa.func.max(o.c.id)).where(*purgeable)).scalar()
    if top is None:
        return 0
    # Said before the rows go (in the same transaction): readers bringing report figures
    # forward from the events after a mark (``reports.incremental``) then know to recompute.
    data_versions.note_purged(conn, int(top))
    result = conn.execute(sa.delete(o).where(*purgeable, o.c.id <= top))
    return int(result.rowcount or 0)


def last_id(conn: sa.Connection) -> int:
    """The id of the newest event committed (as this transaction sees it), 0 when none: an
    event numbered above it is committed after this point."""
    o = system.outbox
    return int(conn.execute(sa.select(sa.func.max(o.c.id))).scalar() or 0)


def pending_count(conn: sa.Connection) -> int:
    o = system.outbox
    return conn.execute(sa.select(sa.func.count()).where(o.c.processed_at.is_(None))).scalar_one()
