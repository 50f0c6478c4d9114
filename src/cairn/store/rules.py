"""Rules, their run log, fired-once records and waiting jobs: the SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.store import changes, outbox, system, versioned
from cairn.store.bulk import insert_many

r = system.rules
runs = system.rule_runs
firings = system.rule_firings
jobs = system.rule_jobs


# -- rules ------------------------------------------------------------------------------------
def list_for(conn: sa.Connection, app_id: int) -> list[Any]:
    return list(conn.execute(sa.select(r).where(r.c.app_id == app_id).order_by(r.c.id)).mappings())


def enabled(conn: sa.Connection) -> list[Any]:
    return list(conn.execute(sa.select(r).where(r.c.enabled).order_by(r.c.id)).mappings())


def get(conn: sa.Connection, app_id: int | None, rule_id: int) -> Any:
    q = sa.select(r).where(r.c.id == rule_id)
    if app_id is not None:
        q = q.where(r.c.app_id == app_id)
    return conn.execute(q).mappings().first()


def key_taken(conn: sa.Connection, app_id: int, key: str, other_than: int | None = None) -> bool:
    q = sa.select(r.c.id).where(r.c.app_id == app_id, r.c.key == key)
    if other_than is not None:
        q = q.where(r.c.id != other_than)
    return conn.execute(q).first() is not None


def armed(conn: sa.Connection, now: datetime) -> dict[str, Any]:
    """The enable point of a rule switched on now, in the caller's transaction: the time (date
    rules count from it) and the outbox's newest event id (event rules react only to events
    numbered above it: a change committed before the rule was enabled does not fire it, even
    when its event is still waiting in the outbox)."""
    return {"armed_at": now, "armed_event_id": outbox.last_id(conn)}


def insert(conn: sa.Connection, now: datetime, **values: Any) -> int:
    res = conn.execute(
        sa.insert(r).values(created_at=now, updated_at=now, version=1, **armed(conn, now), **values)
    )
    new_id = int(res.inserted_primary_key[0])
    changes.created(conn, r, new_id)
    return new_id


def update(conn: sa.Connection, rule_id: int, version: int, now: datetime, **values: Any) -> bool:
    return versioned.update(conn, r, rule_id, version, now, **values)


def delete(conn: sa.Connection, rule_id: int) -> None:
    changes.touching(conn, r, rule_id)
    conn.execute(sa.delete(jobs).where(jobs.c.rule_id == rule_id))
    conn.execute(sa.delete(firings).where(firings.c.rule_id == rule_id))
    conn.execute(sa.delete(runs).where(runs.c.rule_id == rule_id))
    conn.execute(sa.delete(r).where(r.c.id == rule_id))


# -- runs -------------------------------------------------------------------------------------
def run_by_key(conn: sa.Connection, rule_id: int, run_key: str) -> Any:
    return (
        conn.execute(sa.select(runs).where(runs.c.rule_id == rule_id, runs.c.run_key == run_key))
        .mappings()
        .first()
    )


def run_by_id(conn: sa.Connection, run_id: int) -> Any:
    return conn.execute(sa.select(runs).where(runs.c.id == run_id)).mappings().first()


def start_run(conn: sa.Connection, now: datetime, **values: Any) -> int:
    res = conn.execute(
        sa.insert(runs).values(started_at=now, status="running", actions=[], **values)
    )
    return int(res.inserted_primary_key[0])


def set_run(conn: sa.Connection, run_id: int, **values: Any) -> None:
    conn.execute(sa.update(runs).where(runs.c.id == run_id).values(**values))


def started_keys(conn: sa.Connection, rule_id: int, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` already have a run of the rule (on the (rule, run key) index)."""
    out: set[str] = set()
    for k in range(0, len(keys), 500):
        q = sa.select(runs.c.run_key).where(
            runs.c.rule_id == rule_id, runs.c.run_key.in_(keys[k : k + 500])
        )
        out.update(conn.execute(q).scalars())
    return out


def insert_runs(conn: sa.Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Runs that started and settled at once (the rule engine's batches), one insert."""
    conn.execute(sa.insert(runs), list(rows))


def _run_where(rule_id: int, filters: dict[str, Any]) -> list[Any]:
    """The conditions of a run-log filter: ``status``, ``record_id``, ``trigger``, ``since``
    and ``until`` (on when the run started; UTC)."""
    where = [runs.c.rule_id == rule_id]
    if filters.get("status") is not None:
        where.append(runs.c.status == filters["status"])
    if filters.get("record_id") is not None:
        where.append(runs.c.record_id == filters["record_id"])
    if filters.get("trigger") is not None:
        where.append(runs.c.trigger == filters["trigger"])
    if filters.get("since") is not None:
        where.append(runs.c.started_at >= filters["since"])
    if filters.get("until") is not None:
        where.append(runs.c.started_at < filters["until"])
    return where


def list_runs(
    conn: sa.Connection,
    rule_id: int,
    limit: int = 50,
    before: int | None = None,
    **filters: Any,
) -> list[Any]:
    q = sa.select(runs).where(*_run_where(rule_id, filters))
    if before is not None:
        q = q.where(runs.c.id < before)
    return list(conn.execute(q.order_by(runs.c.id.desc()).limit(limit)).mappings())


def last_runs(conn: sa.Connection, rule_ids: Sequence[int]) -> dict[int, Any]:
    """The latest run of each of ``rule_ids`` (rule id → run; a rule never run is absent), in
    one query: per rule the highest run id (an index look-up each), then those runs."""
    if not rule_ids:
        return {}
    latest = sa.select(sa.func.max(runs.c.id)).where(runs.c.rule_id == r.c.id).scalar_subquery()
    ids = sa.select(latest).where(r.c.id.in_(list(rule_ids)))
    q = sa.select(runs).where(runs.c.id.in_(ids))
    return {row["rule_id"]: row for row in conn.execute(q).mappings()}


def count_runs(conn: sa.Connection, rule_id: int, **filters: Any) -> int:
    q = sa.select(sa.func.count()).select_from(runs).where(*_run_where(rule_id, filters))
    return int(conn.execute(q).scalar() or 0)


def set_secret(conn: sa.Connection, rule_id: int, secret: str, now: datetime) -> None:
    """A new inbound-webhook secret (the old address stops working at once)."""
    changes.touching(conn, r, rule_id)
    conn.execute(
        sa.update(r)
        .where(r.c.id == rule_id)
        .values(secret=secret, version=r.c.version + 1, updated_at=now)
    )


# -- firings ----------------------------------------------------------------------------------
def add_firings(
    conn: sa.Connection,
    rule_id: int,
    rows: Sequence[tuple[int, str, datetime, bool]],
    now: datetime,
) -> list[int]:
    """Fired-once rows (record id, fire key, due at, late); their ids in order."""
    ids = []
    for record_id, key, due_at, late in rows:
        res = conn.execute(
            sa.insert(firings).values(
                rule_id=rule_id,
                record_id=record_id,
                fire_key=key,
                due_at=due_at,
                fired_at=now,
                late=late,
            )
        )
        ids.append(int(res.inserted_primary_key[0]))
    return ids


def insert_firings(conn: sa.Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Fired-once rows of a scan, all at once (rule_id, record_id, fire_key, due_at, fired_at,
    late)."""
    insert_many(conn, firings, list(rows))


def record_owners(conn: sa.Connection, table: sa.Table, ids: Sequence[int]) -> dict[int, Any]:
    """The owner of each record of a user table that still has its row (deleted or not)."""
    q = sa.select(table.c.id, table.c.owner_id).where(table.c.id.in_(list(ids)))
    return {i: owner for i, owner in conn.execute(q)}


def live_versions(conn: sa.Connection, table: sa.Table, ids: Sequence[int]) -> list[Any]:
    """(id, version) of each record of ``ids`` that is not deleted (a rule's update)."""
    q = sa.select(table.c.id, table.c.version).where(
        table.c.id.in_(list(ids)), table.c.deleted_at.is_(None)
    )
    return list(conn.execute(q).all())


# -- jobs -------------------------------------------------------------------------------------
def add_job(
    conn: sa.Connection,
    rule_id: int,
    run_id: int,
    kind: str,
    due_at: datetime,
    payload: dict[str, Any],
    now: datetime,
) -> int:
    res = conn.execute(
        sa.insert(jobs).values(
            rule_id=rule_id,
            run_id=run_id,
            kind=kind,
            due_at=due_at,
            payload=payload,
            created_at=now,
        )
    )
    return int(res.inserted_primary_key[0])


def take_due_jobs(conn: sa.Connection, now: datetime, limit: int = 1000) -> list[Any]:
    """Due jobs, marked done (the caller emits their events in the same transaction)."""
    q = (
        sa.select(jobs)
        .where(jobs.c.done_at.is_(None), jobs.c.due_at <= now)
        .order_by(jobs.c.due_at, jobs.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    rows = list(conn.execute(q).mappings())
    if rows:
        conn.execute(
            sa.update(jobs).where(jobs.c.id.in_([x["id"] for x in rows])).values(done_at=now)
        )
    return rows


def pending_jobs(conn: sa.Connection, rule_id: int) -> list[Any]:
    q = sa.select(jobs).where(jobs.c.rule_id == rule_id, jobs.c.done_at.is_(None))
    return list(conn.execute(q.order_by(jobs.c.due_at)).mappings())
