"""Rows of the work-platform tables: ``task_pushes`` (process tasks pushed to WeCom /
DingTalk) and ``directory_sync_runs`` (the reports of directory syncs)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from cairn.store import system

P = system.task_pushes
T = system.tasks
U = system.users
R = system.directory_sync_runs


# -- task pushes --------------------------------------------------------------------------------
def tasks_to_push(
    conn: sa.Connection, channel: str, column: str, instance_ids: Sequence[int] | None
) -> list[Any]:
    """Open tasks assigned to an active user who has an id in ``column`` (their platform id)
    and that have no push for that user on ``channel`` yet (of these instances, or all)."""
    pushed = sa.exists().where(P.c.task_id == T.c.id, P.c.channel == channel, P.c.user_id == U.c.id)
    q = (
        sa.select(
            T.c.id,
            T.c.instance_id,
            T.c.step_name,
            T.c.record_title,
            T.c.due_at,
            U.c.id.label("user_id"),
            U.c[column].label("userid"),
            U.c.dingtalk_unionid,
        )
        .select_from(T.join(U, U.c.id == T.c.assignee_id))
        .where(T.c.status == "open", U.c[column].is_not(None), U.c.status == "active", ~pushed)
        .order_by(T.c.id)
    )
    if instance_ids is not None:
        q = q.where(T.c.instance_id.in_(list(instance_ids)))
    return list(conn.execute(q))


def pushes_to_close(
    conn: sa.Connection, channel: str, column: str, instance_ids: Sequence[int] | None
) -> list[Any]:
    """Pushes still open on ``channel`` whose task is no longer open for that user (done,
    cancelled, or assigned to someone else); with the user's platform id today."""
    q = (
        sa.select(P, U.c[column].label("userid"))
        .select_from(P.join(T, T.c.id == P.c.task_id).outerjoin(U, U.c.id == P.c.user_id))
        .where(
            P.c.channel == channel,
            P.c.state == "open",
            sa.or_(
                T.c.status != "open",
                T.c.assignee_id.is_(None),
                T.c.assignee_id != P.c.user_id,
            ),
        )
        .order_by(P.c.id)
    )
    if instance_ids is not None:
        q = q.where(T.c.instance_id.in_(list(instance_ids)))
    return list(conn.execute(q))


def claim_push(
    conn: sa.Connection, now: datetime, *, task_id: int, channel: str, user_id: int
) -> int | None:
    """A push row in state "pushing" (this worker pushes it), or None when one exists."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    q = (
        dialect.insert(P)
        .values(
            task_id=task_id,
            channel=channel,
            user_id=user_id,
            state="pushing",
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["task_id", "channel", "user_id"])
        .returning(P.c.id)
    )
    return conn.execute(q).scalar()


def set_push(conn: sa.Connection, push_id: int, now: datetime, **values: Any) -> None:
    conn.execute(sa.update(P).where(P.c.id == push_id).values(updated_at=now, **values))


def drop_push(conn: sa.Connection, push_id: int) -> None:
    """Forget a push that failed in a way worth trying again (the next attempt claims it)."""
    conn.execute(sa.delete(P).where(P.c.id == push_id))


def pushes_of_task(conn: sa.Connection, task_id: int) -> list[Any]:
    return list(conn.execute(sa.select(P).where(P.c.task_id == task_id).order_by(P.c.id)))


def keep_unionid(conn: sa.Connection, user_id: int, unionid: str) -> None:
    """The DingTalk unionId looked up for a user, kept (the to-do API names people by it)."""
    conn.execute(
        sa.update(U)
        .where(U.c.id == user_id, U.c.dingtalk_unionid.is_(None))
        .values(dingtalk_unionid=unionid)
    )


# -- directory sync runs ------------------------------------------------------------------------
def start_run(
    conn: sa.Connection, now: datetime, *, channel: str, trigger: str, actor_id: int | None
) -> int:
    q = (
        sa.insert(R)
        .values(
            channel=channel,
            trigger=trigger,
            actor_id=actor_id,
            status="running",
            report={},
            started_at=now,
        )
        .returning(R.c.id)
    )
    return conn.execute(q).scalar_one()


def finish_run(
    conn: sa.Connection, run_id: int, now: datetime, status: str, report: dict[str, Any]
) -> None:
    conn.execute(
        sa.update(R).where(R.c.id == run_id).values(status=status, report=report, finished_at=now)
    )


def run(conn: sa.Connection, run_id: int) -> Any:
    return conn.execute(sa.select(R).where(R.c.id == run_id)).first()


def runs(conn: sa.Connection, channel: str | None, limit: int) -> list[Any]:
    """Directory syncs, newest first (of one channel config, or all)."""
    q = sa.select(R)
    if channel is not None:
        q = q.where(R.c.channel == channel)
    return list(conn.execute(q.order_by(R.c.id.desc()).limit(limit)))
