"""The lists people page through, each one indexed query: the inbox (a person's boxes of tasks)
and the administrators' list of instances, with their filters and totals."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.process.repo import INST, OPEN, D, T

# -- the administrators' instance list ---------------------------------------------------
#: The instance statuses of the engine (``done`` is the API's other name of ``completed``).
STATUSES = ("running", "error", "completed", "rejected", "withdrawn", "cancelled")


def _instance_filter(q: Any, app_ids: set[int] | None, now: datetime, f: dict[str, Any]) -> Any:
    """``app_ids``: the apps the caller oversees (None: all); ``f``: ``app_id``, ``process``
    (key), ``status``, ``overdue`` (an open task past its due date), ``q`` (in the record's
    title and the process's name)."""
    if app_ids is not None:
        q = q.where(INST.c.app_id.in_(sorted(app_ids) or [-1]))
    if f.get("app_id"):
        q = q.where(INST.c.app_id == f["app_id"])
    if f.get("status"):
        q = q.where(INST.c.status == f["status"])
    if f.get("process"):
        q = q.where(D.c.key == f["process"])
    if f.get("overdue"):
        late = sa.select(T.c.id).where(
            T.c.instance_id == INST.c.id, T.c.status == OPEN, T.c.due_at < now
        )
        q = q.where(late.exists())
    if f.get("q"):
        q = q.where(sa.or_(contains(INST.c.record_title, f["q"]), contains(D.c.name, f["q"])))
    return q


def instance_page(
    conn: sa.Connection,
    app_ids: set[int] | None,
    now: datetime,
    filters: dict[str, Any],
    limit: int,
    offset: int,
) -> list[Any]:
    """A page of instances, newest first (read in the order of ``ix_process_instances_app_status``
    for one app and status, of the primary key otherwise)."""
    q = (
        sa.select(
            INST.c.id,
            INST.c.app_id,
            INST.c.table_id,
            INST.c.record_id,
            INST.c.record_title,
            INST.c.status,
            INST.c.initiator_id,
            INST.c.started_at,
            INST.c.ended_at,
            INST.c.meta,
        )
        .add_columns(D.c.key, D.c.name, D.c.version)
        .join(D, D.c.id == INST.c.definition_id)
    )
    q = _instance_filter(q, app_ids, now, filters).order_by(INST.c.id.desc())
    return list(conn.execute(q.limit(limit).offset(offset)))


def instance_total(
    conn: sa.Connection, app_ids: set[int] | None, now: datetime, filters: dict[str, Any]
) -> int:
    """How many instances match (joined to the definitions only when a filter needs it)."""
    c = sa.select(sa.func.count()).select_from(INST)
    if filters.get("process") or filters.get("q"):
        c = c.join(D, D.c.id == INST.c.definition_id)
    return int(conn.execute(_instance_filter(c, app_ids, now, filters)).scalar_one())


# -- the inbox --------------------------------------------------------------------------------
INBOX_COLUMNS = (
    T.c.id,
    T.c.instance_id,
    T.c.app_id,
    T.c.step_id,
    T.c.step_name,
    T.c.kind,
    T.c.assignee_id,
    T.c.candidate,
    T.c.status,
    T.c.due_at,
    T.c.created_at,
    T.c.completed_at,
    T.c.action,
    T.c.table_id,
    T.c.record_id,
    T.c.record_title,
    T.c.escalation_level,
    T.c.version,
)


def contains(column: Any, text: str) -> Any:
    """``column`` contains ``text``, ignoring case (LIKE with the wildcards escaped)."""
    return sa.func.lower(column).contains(text.lower(), autoescape=True)


def _inbox_filter(
    q: Any,
    box: str,
    user_id: int,
    groups: Sequence[str],
    now: datetime,
    filters: dict[str, Any],
) -> Any:
    """The box's rows (each box is served by an index of ``tasks``) narrowed by ``filters``:
    ``app_id``, ``table_id``, ``process`` (key), ``instance_id``, ``step``, ``since`` and
    ``until`` (on created_at), ``q`` (in step name, process name and record title)."""
    if box == "mine":
        q = q.where(T.c.assignee_id == user_id, T.c.status == OPEN)
    elif box == "overdue":
        q = q.where(T.c.assignee_id == user_id, T.c.status == OPEN, T.c.due_at < now)
    elif box == "claimable":
        q = q.where(
            T.c.candidate.in_(list(groups) or [""]),
            T.c.status == OPEN,
            T.c.assignee_id.is_(None),
        )
    else:  # done
        q = q.where(T.c.completed_by == user_id)
    if filters.get("app_id"):
        q = q.where(T.c.app_id == filters["app_id"])
    if filters.get("table_id"):
        q = q.where(T.c.table_id == filters["table_id"])
    if filters.get("instance_id"):
        q = q.where(T.c.instance_id == filters["instance_id"])
    if filters.get("step"):
        q = q.where(T.c.step_id == filters["step"])
    if filters.get("since"):
        q = q.where(T.c.created_at >= filters["since"])
    if filters.get("until"):
        q = q.where(T.c.created_at < filters["until"])
    if filters.get("process"):
        q = q.where(D.c.key == filters["process"])
    if filters.get("q"):
        text = filters["q"]
        q = q.where(
            sa.or_(
                contains(T.c.step_name, text),
                contains(D.c.name, text),
                contains(T.c.record_title, text),
            )
        )
    return q


def _joins(q: Any) -> Any:
    return q.join(INST, INST.c.id == T.c.instance_id).join(D, D.c.id == INST.c.definition_id)


def inbox(
    conn: sa.Connection,
    box: str,
    user_id: int,
    groups: Sequence[str],
    now: datetime,
    filters: dict[str, Any],
    limit: int,
    offset: int,
) -> list[Any]:
    """A page of a box. Open tasks: overdue first, then due soonest, then (those without a
    due date) newest; done: the latest completed first.

    The open boxes read the tasks with a due date in the order of the box's index (no sort of
    a user's thousands of tasks for one page), then, past them, those without one."""
    q = _joins(
        sa.select(*INBOX_COLUMNS, D.c.key.label("process_key"), D.c.name.label("process_name"))
    )
    q = _inbox_filter(q, box, user_id, groups, now, filters)
    if box == "done":
        q = q.order_by(T.c.completed_at.desc(), T.c.id.desc())
        return list(conn.execute(q.limit(limit).offset(offset)))
    dated = q.where(T.c.due_at.is_not(None)).order_by(T.c.due_at, T.c.id)
    rows = list(conn.execute(dated.limit(limit).offset(offset)))
    if len(rows) == limit or box == "overdue":
        return rows
    if rows:
        n_dated = offset + len(rows)
    else:
        c = _inbox_filter(
            _joins(sa.select(sa.func.count()).select_from(T)), box, user_id, groups, now, filters
        )
        n_dated = int(conn.execute(c.where(T.c.due_at.is_not(None))).scalar_one())
    undated = q.where(T.c.due_at.is_(None)).order_by(T.c.id.desc())
    more = undated.limit(limit - len(rows)).offset(max(0, offset - n_dated))
    return rows + list(conn.execute(more))


def inbox_total(
    conn: sa.Connection,
    box: str,
    user_id: int,
    groups: Sequence[str],
    now: datetime,
    filters: dict[str, Any],
) -> int:
    """How many tasks the box holds with these filters (joined only when a filter needs it)."""
    c = sa.select(sa.func.count()).select_from(T)
    if filters.get("process") or filters.get("q"):
        c = _joins(c)
    c = _inbox_filter(c, box, user_id, groups, now, filters)
    return int(conn.execute(c).scalar_one())


def inbox_count(
    conn: sa.Connection, box: str, user_id: int, groups: Sequence[str], now: datetime
) -> int:
    return inbox_total(conn, box, user_id, groups, now, {})
