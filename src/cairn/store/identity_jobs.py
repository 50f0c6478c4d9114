"""The rows of One-ID's "find duplicates" runs (``tables.identity.identity_jobs``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.store import job_claims
from cairn.store.tables.identity import identity_jobs


def create_job(conn: sa.Connection, **values: Any) -> int:
    return int(
        conn.execute(
            sa.insert(identity_jobs).values(**values).returning(identity_jobs.c.id)
        ).scalar_one()
    )


def job(conn: sa.Connection, job_id: int) -> Any | None:
    return conn.execute(sa.select(identity_jobs).where(identity_jobs.c.id == job_id)).first()


def jobs(conn: sa.Connection, table_id: int, limit: int = 20) -> list[Any]:
    j = identity_jobs.c
    q = sa.select(identity_jobs).where(j.table_id == table_id).order_by(j.id.desc()).limit(limit)
    return list(conn.execute(q))


def update_job(conn: sa.Connection, job_id: int, **values: Any) -> None:
    conn.execute(sa.update(identity_jobs).where(identity_jobs.c.id == job_id).values(**values))


def claim_job(
    conn: sa.Connection, worker: str, now: datetime, stale_before: datetime
) -> int | None:
    """The oldest queued run, or a running one whose worker went silent (``job_claims``)."""
    return job_claims.claim(conn, identity_jobs, worker, now, stale_before)
