"""Background jobs kept in a table of their own (imports, find-duplicates runs): a worker
takes the oldest queued job, or a running one whose worker stopped saying it runs it, with a
conditional update, so two workers never take the same job."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa


def claim(
    conn: sa.Connection, jobs: sa.Table, worker: str, now: datetime, stale_before: datetime
) -> int | None:
    """Take the oldest queued job of ``jobs`` (a table with ``status``, ``claimed_by`` and
    ``heartbeat_at``), or a running one whose heartbeat is before ``stale_before``; its id,
    None when there is none."""
    c = jobs.c
    waiting = sa.or_(
        c.status == "queued",
        sa.and_(c.status == "running", c.heartbeat_at < stale_before),
    )
    for row in conn.execute(
        sa.select(c.id, c.status, c.heartbeat_at).where(waiting).order_by(c.id).limit(5)
    ):
        r = conn.execute(
            sa.update(jobs)
            .where(c.id == row.id, c.status == row.status)
            .where(
                c.heartbeat_at.is_(None)
                if row.heartbeat_at is None
                else c.heartbeat_at == row.heartbeat_at
            )
            .values(status="running", claimed_by=worker, heartbeat_at=now)
        )
        if r.rowcount:
            return int(row.id)
    return None
