"""Segment rows: definitions, members, history and daily counts (``tables.segments``).

Membership changes are set operations in SQL: the ids that enter and leave are found by a
FULL join (PostgreSQL) or one anti-join each (SQLite) of the matching records and the members
(``query`` compiles the condition; this module takes it as an expression), then written in
batches with the history rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from cairn.store import changes
from cairn.store.bulk import insert_columns
from cairn.store.catalog import TableSchema
from cairn.store.tables.segments import (
    segment_counts,
    segment_history,
    segment_members,
    segments,
)

#: Rows written per statement when many records enter or leave at once.
BATCH = 5_000


def get(conn: sa.Connection, segment_id: int) -> sa.Row[Any] | None:
    return conn.execute(sa.select(segments).where(segments.c.id == segment_id)).first()


def lock(conn: sa.Connection, segment_id: int) -> sa.Row[Any] | None:
    """The segment's row, locked until the transaction ends (PostgreSQL): evaluations of one
    segment take turns."""
    q = sa.select(segments).where(segments.c.id == segment_id)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()
    return conn.execute(q).first()


def by_app(conn: sa.Connection, app_id: int) -> list[sa.Row[Any]]:
    q = sa.select(segments).where(segments.c.app_id == app_id).order_by(segments.c.id)
    return list(conn.execute(q))


def by_tables(conn: sa.Connection, table_ids: Sequence[int] | None = None) -> list[sa.Row[Any]]:
    """Every segment (of these tables), oldest first."""
    q = sa.select(segments).order_by(segments.c.id)
    if table_ids is not None:
        q = q.where(segments.c.table_id.in_(list(table_ids)))
    return list(conn.execute(q))


def insert(conn: sa.Connection, **values: Any) -> int:
    new_id = int(conn.execute(sa.insert(segments).values(**values)).inserted_primary_key[0])
    changes.created(conn, segments, new_id)
    return new_id


def update(conn: sa.Connection, segment_id: int, **values: Any) -> None:
    changes.touching(conn, segments, segment_id)
    conn.execute(sa.update(segments).where(segments.c.id == segment_id).values(**values))


def delete(conn: sa.Connection, segment_id: int) -> None:
    changes.touching(conn, segments, segment_id)
    for t in (segment_members, segment_history, segment_counts):
        conn.execute(sa.delete(t).where(t.c.segment_id == segment_id))
    conn.execute(sa.delete(segments).where(segments.c.id == segment_id))


# -- membership ------------------------------------------------------------------------------------
def differences(
    conn: sa.Connection, segment_id: int, s: TableSchema, condition: sa.ColumnElement[bool]
) -> tuple[list[int], list[int]]:
    """(who enters, who leaves) the segment over the whole of ``s``: the live records
    meeting ``condition`` that are not members, the members that are not such records; only
    the differences come back. PostgreSQL: one pass over the table and one over the members,
    joined FULL (a hash join). SQLite (whose plan for a FULL join is a nested loop): the
    records not members by an anti-join on the members' key, the members not meeting the
    condition by their primary key."""
    t, m = s.sa_table, segment_members
    live = sa.and_(t.c.deleted_at.is_(None), condition)
    if conn.dialect.name == "postgresql":
        a = sa.select(t.c.id.label("id")).where(live).subquery("matching")
        c = sa.select(m.c.record_id.label("id")).where(m.c.segment_id == segment_id)
        c = c.subquery("members")
        q = (
            sa.select(a.c.id, c.c.id)
            .select_from(a.join(c, a.c.id == c.c.id, full=True))
            .where(sa.or_(a.c.id.is_(None), c.c.id.is_(None)))
        )
        entered, left = [], []
        for new, old in conn.execute(q):
            if old is None:
                entered.append(int(new))
            else:
                left.append(int(old))
        return sorted(entered), sorted(left)
    member = sa.select(m.c.record_id).where(m.c.segment_id == segment_id, m.c.record_id == t.c.id)
    q_in = sa.select(t.c.id).where(live, ~member.exists())
    meets = sa.select(t.c.id).where(t.c.id == m.c.record_id, live)
    q_out = sa.select(m.c.record_id).where(m.c.segment_id == segment_id, ~meets.exists())
    entered = sorted(int(i) for i in conn.execute(q_in).scalars())
    return entered, sorted(int(i) for i in conn.execute(q_out).scalars())


def bump_count(
    conn: sa.Connection, segment_id: int, delta: int, evaluated_at: datetime | None = None
) -> int:
    """Add ``delta`` to the member count (and set ``evaluated_at``); the count now."""
    values: dict[str, Any] = {"member_count": segments.c.member_count + delta}
    if evaluated_at is not None:
        values["evaluated_at"] = evaluated_at
    q = (
        sa.update(segments)
        .where(segments.c.id == segment_id)
        .values(**values)
        .returning(segments.c.member_count)
    )
    return int(conn.execute(q).scalar_one())


def change_members(
    conn: sa.Connection,
    segment_id: int,
    entered: Sequence[int],
    left: Sequence[int],
    at: datetime,
    cause: str,
) -> None:
    """``entered`` (not members yet) enter and ``left`` (members) leave: member rows
    written and deleted, the history rows of both in one insert (a batch at a time)."""
    m = segment_members
    for i in range(0, len(left), BATCH):
        chunk = list(left[i : i + BATCH])
        conn.execute(sa.delete(m).where(m.c.segment_id == segment_id, m.c.record_id.in_(chunk)))
    for i in range(0, len(entered), BATCH):
        chunk = entered[i : i + BATCH]
        insert_columns(
            conn,
            m,
            {
                "segment_id": [segment_id] * len(chunk),
                "record_id": list(chunk),
                "entered_at": [at] * len(chunk),
            },
        )
    changed = [(r, "left") for r in left] + [(r, "entered") for r in entered]
    for i in range(0, len(changed), BATCH):
        chunk2 = changed[i : i + BATCH]
        n = len(chunk2)
        insert_columns(
            conn,
            segment_history,
            {
                "segment_id": [segment_id] * n,
                "record_id": [r for r, _ in chunk2],
                "change": [c for _, c in chunk2],
                "at": [at] * n,
                "cause": [cause] * n,
            },
        )


def member_count(conn: sa.Connection, segment_id: int) -> int:
    m = segment_members
    q = sa.select(sa.func.count()).select_from(m).where(m.c.segment_id == segment_id)
    return int(conn.execute(q).scalar_one())


def member_ids(conn: sa.Connection, segment_id: int) -> list[int]:
    m = segment_members
    q = sa.select(m.c.record_id).where(m.c.segment_id == segment_id).order_by(m.c.record_id)
    return list(conn.execute(q).scalars())


def members_page(
    conn: sa.Connection,
    segment_id: int,
    s: TableSchema,
    where: sa.ColumnElement[bool] | None,
    limit: int,
    offset: int,
) -> tuple[list[tuple[int, datetime]], int]:
    """(record id, entered at) of live members the reader's row condition ``where`` keeps,
    newest entry first, and how many there are."""
    m, t = segment_members, s.sa_table
    cond = sa.and_(
        m.c.segment_id == segment_id,
        t.c.deleted_at.is_(None),
        where if where is not None else sa.true(),
    )
    base = sa.select(m.c.record_id, m.c.entered_at).select_from(m.join(t, t.c.id == m.c.record_id))
    rows = conn.execute(
        base.where(cond)
        .order_by(m.c.entered_at.desc(), m.c.record_id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    total = conn.execute(
        sa.select(sa.func.count()).select_from(m.join(t, t.c.id == m.c.record_id)).where(cond)
    ).scalar_one()
    return [(int(r[0]), r[1]) for r in rows], int(total)


def of_record(conn: sa.Connection, table_id: int, record_id: int) -> list[sa.Row[Any]]:
    """The segments of ``table_id`` that the record is a member of, with its entry time."""
    m, sg = segment_members, segments
    q = (
        sa.select(sg.c.id, sg.c.name, sg.c.kind, m.c.entered_at)
        .select_from(m.join(sg, sg.c.id == m.c.segment_id))
        .where(m.c.record_id == record_id, sg.c.table_id == table_id)
        .order_by(sg.c.name, sg.c.id)
    )
    return list(conn.execute(q))


def history(
    conn: sa.Connection, segment_id: int, limit: int, offset: int, record_id: int | None = None
) -> tuple[list[sa.Row[Any]], int]:
    h = segment_history
    cond = h.c.segment_id == segment_id
    if record_id is not None:
        cond = sa.and_(cond, h.c.record_id == record_id)
    rows = conn.execute(
        sa.select(h).where(cond).order_by(h.c.at.desc(), h.c.id.desc()).limit(limit).offset(offset)
    ).all()
    total = conn.execute(sa.select(sa.func.count()).select_from(h).where(cond)).scalar_one()
    return list(rows), int(total)


# -- counts per day -------------------------------------------------------------------------------
def count_day(
    conn: sa.Connection, segment_id: int, day: date, members: int, entered: int, left: int
) -> None:
    """Add to the day's row (made when missing): members as now, entries and exits summed."""
    c = segment_counts
    where = sa.and_(c.c.segment_id == segment_id, c.c.day == day)
    done = conn.execute(
        sa.update(c)
        .where(where)
        .values(members=members, entered=c.c.entered + entered, left=c.c.left + left)
    ).rowcount
    if not done:
        conn.execute(
            sa.insert(c).values(
                segment_id=segment_id, day=day, members=members, entered=entered, left=left
            )
        )


def counts(conn: sa.Connection, segment_id: int, since: date | None = None) -> list[sa.Row[Any]]:
    c = segment_counts
    q = sa.select(c.c.day, c.c.members, c.c.entered, c.c.left).where(c.c.segment_id == segment_id)
    if since is not None:
        q = q.where(c.c.day >= since)
    return list(conn.execute(q.order_by(c.c.day)))


def count_missing(conn: sa.Connection, segment_id: int, day: date) -> bool:
    """Has the segment no count row for ``day``?"""
    c = segment_counts
    q = sa.select(c.c.id).where(c.c.segment_id == segment_id, c.c.day == day)
    return conn.execute(q).first() is None
