"""The process engine's SQL: definitions, instances (optimistic version), the task mirror and
the timeline. The lists people page through (the inbox, the administrators' instance list) are
in ``listings``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.core import Conflict, NotFound
from cairn.store import changes, system

D, INST, T, E = (
    system.process_definitions,
    system.process_instances,
    system.tasks,
    system.process_events,
)
OPEN = "open"


# -- definitions --------------------------------------------------------------------------
def definition(conn: sa.Connection, definition_id: int) -> Any:
    row = conn.execute(sa.select(D).where(D.c.id == definition_id)).first()
    if row is None:
        raise NotFound("process.not_found", key=str(definition_id))
    return row


def latest(conn: sa.Connection, app_id: int, key: str, version: int | None = None) -> Any:
    q = sa.select(D).where(D.c.app_id == app_id, D.c.key == key)
    q = q.where(D.c.version == version) if version else q.order_by(D.c.version.desc())
    row = conn.execute(q.limit(1)).first()
    if row is None:
        raise NotFound("process.not_found", key=key)
    return row


def next_version(conn: sa.Connection, app_id: int, key: str) -> int:
    v = conn.execute(
        sa.select(sa.func.max(D.c.version)).where(D.c.app_id == app_id, D.c.key == key)
    ).scalar()
    return int(v or 0) + 1


def insert_definition(conn: sa.Connection, **values: Any) -> int:
    new_id = conn.execute(D.insert().values(**values).returning(D.c.id)).scalar_one()
    changes.created(conn, D, new_id)
    return new_id


def definitions(conn: sa.Connection, app_id: int) -> list[Any]:
    """Every version of every definition of the app, newest version first per key."""
    return list(
        conn.execute(
            sa.select(D.c.id, D.c.key, D.c.name, D.c.version, D.c.table_id, D.c.options)
            .add_columns(D.c.created_at, D.c.created_by)
            .where(D.c.app_id == app_id)
            .order_by(D.c.key, D.c.version.desc())
        )
    )


#: How the instance counts of a version are reported (an instance's status → its bucket).
COUNT_BUCKETS = {
    "running": "running",
    "error": "error",
    "completed": "finished",
    "rejected": "finished",
    "withdrawn": "cancelled",
    "cancelled": "cancelled",
}


def instance_counts(
    conn: sa.Connection, definition_ids: Sequence[int]
) -> dict[int, dict[str, int]]:
    """Per definition version: its instances running, finished (completed or rejected), in
    error and cancelled (withdrawn or cancelled)."""
    out = {i: {"running": 0, "finished": 0, "error": 0, "cancelled": 0} for i in definition_ids}
    if not definition_ids:
        return out
    q = (
        sa.select(INST.c.definition_id, INST.c.status, sa.func.count())
        .where(INST.c.definition_id.in_(list(definition_ids)))
        .group_by(INST.c.definition_id, INST.c.status)
    )
    for def_id, status, n in conn.execute(q):
        bucket = COUNT_BUCKETS.get(status)
        if bucket:
            out[def_id][bucket] += n
    return out


def auto_start_definitions(conn: sa.Connection, table_id: int) -> list[Any]:
    """The latest version of each definition bound to the table that starts on create."""
    return [r for r in latest_of_table(conn, table_id) if (r.options or {}).get("auto_start")]


def latest_of_table(conn: sa.Connection, table_id: int) -> list[Any]:
    """The latest version of each definition bound to the table, by key."""
    newest = (
        sa.select(D.c.app_id, D.c.key, sa.func.max(D.c.version).label("v"))
        .where(D.c.table_id == table_id)
        .group_by(D.c.app_id, D.c.key)
        .subquery()
    )
    q = sa.select(D).join(
        newest,
        sa.and_(D.c.app_id == newest.c.app_id, D.c.key == newest.c.key, D.c.version == newest.c.v),
    )
    return list(conn.execute(q.order_by(D.c.key)))


# -- instances ----------------------------------------------------------------------------
def instance(conn: sa.Connection, instance_id: int) -> Any:
    row = conn.execute(sa.select(INST).where(INST.c.id == instance_id)).first()
    if row is None:
        raise NotFound("process.instance_not_found", id=instance_id)
    return row


def insert_instance(conn: sa.Connection, **values: Any) -> int:
    return conn.execute(INST.insert().values(**values).returning(INST.c.id)).scalar_one()


def save_instance(conn: sa.Connection, row: Any, **values: Any) -> None:
    """Write the instance if nobody else did since ``row`` was read (else 409)."""
    n = conn.execute(
        INST.update()
        .where(INST.c.id == row.id, INST.c.version == row.version)
        .values(version=row.version + 1, **values)
    ).rowcount
    if n != 1:
        raise Conflict("process.concurrent")


def instances_of_record(conn: sa.Connection, table_id: int, record_id: int) -> list[Any]:
    return list(
        conn.execute(
            sa.select(
                INST.c.id, INST.c.definition_id, INST.c.status, INST.c.started_at, INST.c.ended_at
            )
            .add_columns(INST.c.initiator_id, D.c.key, D.c.name, D.c.version)
            .join(D, D.c.id == INST.c.definition_id)
            .where(INST.c.table_id == table_id, INST.c.record_id == record_id)
            .order_by(INST.c.id)
        )
    )


def open_tasks_of(conn: sa.Connection, instance_ids: Sequence[int]) -> list[Any]:
    """The open tasks of these instances, by instance then id."""
    if not instance_ids:
        return []
    q = sa.select(
        T.c.id, T.c.instance_id, T.c.step_id, T.c.step_name, T.c.assignee_id, T.c.candidate
    ).add_columns(T.c.due_at)
    q = q.where(T.c.instance_id.in_(list(instance_ids)), T.c.status == OPEN)
    return list(conn.execute(q.order_by(T.c.instance_id, T.c.id)))


def has_instance(conn: sa.Connection, definition_key: str, app_id: int, record_id: int) -> bool:
    q = (
        sa.select(INST.c.id)
        .join(D, D.c.id == INST.c.definition_id)
        .where(D.c.app_id == app_id, D.c.key == definition_key, INST.c.record_id == record_id)
        .limit(1)
    )
    return conn.execute(q).first() is not None


def due_timers(conn: sa.Connection, now: datetime, limit: int = 500) -> list[int]:
    return list(
        conn.execute(
            sa.select(INST.c.id)
            .where(INST.c.status == "running", INST.c.timer_due_at <= now)
            .order_by(INST.c.timer_due_at)
            .limit(limit)
        ).scalars()
    )


# -- tasks --------------------------------------------------------------------------------
def task(conn: sa.Connection, task_id: int) -> Any:
    row = conn.execute(sa.select(T).where(T.c.id == task_id)).first()
    if row is None:
        raise NotFound("task.not_found", id=task_id)
    return row


def insert_task(conn: sa.Connection, **values: Any) -> int:
    return conn.execute(T.insert().values(**values).returning(T.c.id)).scalar_one()


def update_task(conn: sa.Connection, task_id: int, bump: bool = True, **values: Any) -> None:
    """Change a task; ``bump``: a change its actors see (a reminder's bookkeeping is not)."""
    if bump:
        values["version"] = T.c.version + 1
    conn.execute(T.update().where(T.c.id == task_id).values(**values))


def take_task(conn: sa.Connection, task_id: int, version: int) -> bool:
    """Bump the version of an open task if it is still ``version`` (the row is then held by
    this transaction: a second actor waits, then finds another version)."""
    n = conn.execute(
        T.update()
        .where(T.c.id == task_id, T.c.version == version, T.c.status == "open")
        .values(version=T.c.version + 1)
    ).rowcount
    return n == 1


def instance_tasks(
    conn: sa.Connection, instance_id: int, statuses: Sequence[str] | None = None
) -> list[Any]:
    q = sa.select(T).where(T.c.instance_id == instance_id)
    if statuses:
        q = q.where(T.c.status.in_(list(statuses)))
    return list(conn.execute(q.order_by(T.c.id)))


def close_tasks(conn: sa.Connection, ids: Sequence[int], status: str, now: datetime) -> None:
    if ids:
        conn.execute(
            T.update()
            .where(T.c.id.in_(list(ids)))
            .values(status=status, completed_at=now, alarm_at=None, version=T.c.version + 1)
        )


def due_alarms(conn: sa.Connection, now: datetime, limit: int = 500) -> list[Any]:
    return list(
        conn.execute(
            sa.select(T)
            .where(T.c.status == OPEN, T.c.alarm_at <= now)
            .order_by(T.c.alarm_at)
            .limit(limit)
        )
    )


def open_tasks_of_record(conn: sa.Connection, table_id: int, record_id: int) -> list[Any]:
    return list(
        conn.execute(
            sa.select(T).where(
                T.c.table_id == table_id, T.c.record_id == record_id, T.c.status == OPEN
            )
        )
    )


def open_tasks_of_user(conn: sa.Connection, user_id: int, app_id: int | None = None) -> list[Any]:
    """The open tasks assigned to ``user_id`` (of one app), oldest first (``ix_tasks_inbox``)."""
    q = sa.select(T).where(T.c.assignee_id == user_id, T.c.status == OPEN)
    if app_id is not None:
        q = q.where(T.c.app_id == app_id)
    return list(conn.execute(q.order_by(T.c.id)))


def records_with_open_tasks(
    conn: sa.Connection, records: Sequence[tuple[int, int]]
) -> set[tuple[int, int]]:
    """Which of the (table id, record id) pairs have an open task."""
    out: set[tuple[int, int]] = set()
    pairs = list(dict.fromkeys(records))
    for i in range(0, len(pairs), 500):
        part = pairs[i : i + 500]
        q = (
            sa.select(T.c.table_id, T.c.record_id)
            .where(
                T.c.status == OPEN,
                T.c.table_id.in_({t for t, _ in part}),
                T.c.record_id.in_({r for _, r in part}),
            )
            .distinct()
        )
        out.update((t, r) for t, r in conn.execute(q))
    return out & set(pairs)


def set_record_title(conn: sa.Connection, table_id: int, record_id: int, title: str | None) -> None:
    """The record's new title on its open tasks and its instances."""
    conn.execute(
        T.update()
        .where(T.c.table_id == table_id, T.c.record_id == record_id, T.c.status == OPEN)
        .values(record_title=title)
    )
    conn.execute(
        INST.update()
        .where(INST.c.table_id == table_id, INST.c.record_id == record_id)
        .values(record_title=title)
    )


# -- timeline -----------------------------------------------------------------------------
def took_part(conn: sa.Connection, instance_id: int, user_id: int) -> bool:
    """Was ``user_id`` assigned a task of the instance, or did they complete one?"""
    t = system.tasks
    found = conn.execute(
        sa.select(t.c.id)
        .where(
            t.c.instance_id == instance_id,
            (t.c.assignee_id == user_id) | (t.c.completed_by == user_id),
        )
        .limit(1)
    ).first()
    return found is not None


def set_reason(conn: sa.Connection, instance_id: int, reason: str | None) -> None:
    """The reason given when the instance was withdrawn or cancelled."""
    pi = system.process_instances
    conn.execute(pi.update().where(pi.c.id == instance_id).values(reason=reason))


def add_event(conn: sa.Connection, **values: Any) -> None:
    values.setdefault("details", {})
    conn.execute(E.insert().values(**values))


def events(conn: sa.Connection, instance_id: int) -> list[Any]:
    return list(conn.execute(sa.select(E).where(E.c.instance_id == instance_id).order_by(E.c.id)))
