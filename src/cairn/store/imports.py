"""Import jobs, their refused rows and saved mappings (``tables.imports``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.store import job_claims
from cairn.store.tables.imports import import_errors, import_jobs, import_mappings

#: Refused rows read per query when the error file is written.
ERROR_PAGE = 1000
#: The statuses of a job that has ended (its file is kept ``import_keep_days`` after).
FINISHED = ("done", "failed", "cancelled")


def _insert(conn: sa.Connection, table: sa.Table, values: dict[str, Any]) -> int:
    return int(conn.execute(sa.insert(table).values(**values).returning(table.c.id)).scalar_one())


def insert_job(conn: sa.Connection, **values: Any) -> int:
    return _insert(conn, import_jobs, values)


def job(conn: sa.Connection, job_id: int, *, lock: bool = False) -> sa.Row[Any] | None:
    q = sa.select(import_jobs).where(import_jobs.c.id == job_id)
    if lock and conn.dialect.name == "postgresql":
        q = q.with_for_update()
    return conn.execute(q).first()


def jobs_of(conn: sa.Connection, table_id: int, limit: int = 50) -> list[sa.Row[Any]]:
    q = (
        sa.select(import_jobs)
        .where(import_jobs.c.table_id == table_id)
        .order_by(import_jobs.c.id.desc())
        .limit(limit)
    )
    return list(conn.execute(q))


def update_job(conn: sa.Connection, job_id: int, **values: Any) -> None:
    conn.execute(sa.update(import_jobs).where(import_jobs.c.id == job_id).values(**values))


def advance(
    conn: sa.Connection,
    job_id: int,
    offset: int,
    counts: dict[str, int],
    now: datetime,
    report: Any = None,
) -> bool:
    """Move the job past a committed batch: its new offset, its counts added; False when
    it was cancelled meanwhile (the caller then rolls its batch back)."""
    c = import_jobs.c
    values: dict[str, Any] = {"offset": offset, "heartbeat_at": now}
    for k in ("created", "updated", "skipped", "refused"):
        if counts.get(k):
            values[k] = c[k] + counts[k]
    if report is not None:
        values["report"] = report
    r = conn.execute(
        sa.update(import_jobs)
        .where(c.id == job_id, c.status == "running", c.cancel_requested.is_(False))
        .values(**values)
    )
    return bool(r.rowcount)


def claim(conn: sa.Connection, worker: str, now: datetime, stale_before: datetime) -> int | None:
    """Take the oldest queued import, or a running one whose worker stopped saying it runs it
    (heartbeat before ``stale_before``); its id, None when there is none (``job_claims``)."""
    return job_claims.claim(conn, import_jobs, worker, now, stale_before)


def expired(
    conn: sa.Connection, finished_before: datetime, uploaded_before: datetime, limit: int = 500
) -> list[sa.Row[Any]]:
    """Jobs whose files the sweep removes: finished before ``finished_before`` with their
    file still there, and uploads never started, made before ``uploaded_before``."""
    c = import_jobs.c
    finished = sa.and_(c.status.in_(FINISHED), c.finished_at < finished_before, c.file_path != "")
    stale_upload = sa.and_(c.status == "uploaded", c.created_at < uploaded_before)
    q = (
        sa.select(c.id, c.status, c.file_path)
        .where(sa.or_(finished, stale_upload))
        .order_by(c.id)
        .limit(limit)
    )
    return list(conn.execute(q))


def forget_file(conn: sa.Connection, job_id: int, finished_before: datetime) -> bool:
    """The job keeps its counts and report, not its file nor its refused rows; False when
    it was started again meanwhile (the sweep then leaves it)."""
    c = import_jobs.c
    r = conn.execute(
        sa.update(import_jobs)
        .where(c.id == job_id, c.status.in_(FINISHED), c.finished_at < finished_before)
        .values(file_path="")
    )
    if not r.rowcount:
        return False
    clear_errors(conn, job_id)
    return True


def drop_upload(conn: sa.Connection, job_id: int, uploaded_before: datetime) -> bool:
    """An upload never started goes altogether; False when it was started meanwhile."""
    c = import_jobs.c
    r = conn.execute(
        sa.delete(import_jobs).where(
            c.id == job_id, c.status == "uploaded", c.created_at < uploaded_before
        )
    )
    return bool(r.rowcount)


def add_errors(
    conn: sa.Connection, job_id: int, phase: str, rows: Sequence[tuple[int, list[Any], str]]
) -> None:
    if rows:
        conn.execute(
            sa.insert(import_errors),
            [
                {"job_id": job_id, "phase": phase, "row_no": n, "cells": cells, "reason": reason}
                for n, cells, reason in rows
            ],
        )


def clear_errors(conn: sa.Connection, job_id: int, phase: str | None = None) -> None:
    q = sa.delete(import_errors).where(import_errors.c.job_id == job_id)
    if phase is not None:
        q = q.where(import_errors.c.phase == phase)
    conn.execute(q)


def errors_after(
    conn: sa.Connection, job_id: int, phase: str, after: int = 0, limit: int = ERROR_PAGE
) -> list[sa.Row[Any]]:
    e = import_errors.c
    q = (
        sa.select(e.id, e.row_no, e.cells, e.reason)
        .where(e.job_id == job_id, e.phase == phase, e.id > after)
        .order_by(e.id)
        .limit(limit)
    )
    return list(conn.execute(q))


def iter_errors(engine: sa.Engine, job_id: int, phase: str) -> Iterator[sa.Row[Any]]:
    """Every refused row of the phase, a page per short connection (a download of many rows
    holds no transaction open)."""
    after = 0
    while True:
        with engine.connect() as conn:
            page = errors_after(conn, job_id, phase, after)
        yield from page
        if len(page) < ERROR_PAGE:
            return
        after = page[-1].id


def first_errors(conn: sa.Connection, job_id: int, phase: str, limit: int) -> list[dict[str, Any]]:
    return [
        {"row": r.row_no, "reason": r.reason} for r in errors_after(conn, job_id, phase, 0, limit)
    ]


# -- saved mappings -----------------------------------------------------------------------------
def mappings(conn: sa.Connection, table_id: int) -> list[sa.Row[Any]]:
    m = import_mappings.c
    return list(
        conn.execute(sa.select(import_mappings).where(m.table_id == table_id).order_by(m.name))
    )


def mapping(conn: sa.Connection, table_id: int, mapping_id: int) -> sa.Row[Any] | None:
    m = import_mappings.c
    q = sa.select(import_mappings).where(m.table_id == table_id, m.id == mapping_id)
    return conn.execute(q).first()


def mapping_named(conn: sa.Connection, table_id: int, name: str) -> sa.Row[Any] | None:
    m = import_mappings.c
    q = sa.select(import_mappings).where(m.table_id == table_id, m.name == name)
    return conn.execute(q).first()


def insert_mapping(conn: sa.Connection, **values: Any) -> int:
    return _insert(conn, import_mappings, values)


def update_mapping(conn: sa.Connection, mapping_id: int, **values: Any) -> None:
    conn.execute(
        sa.update(import_mappings).where(import_mappings.c.id == mapping_id).values(**values)
    )


def delete_mapping(conn: sa.Connection, mapping_id: int) -> None:
    conn.execute(sa.delete(import_mappings).where(import_mappings.c.id == mapping_id))
