"""Count and sum grouped by a choice field, kept up to date from the outbox.

A dataset query of this shape — one table (not a sub-form), no filter, one dimension on a
stored single-select field, measures ``count`` and ``sum`` of stored number fields, no sort,
no pivot — asked by a caller who reads every row, keeps beside its cached reply the figures
per group (records, and per sum the total and how many values were not blank) with the data
version and the newest outbox event they were read at. When the table's version moved, the
record events written since (``outbox``, ``id`` above that mark, this table) are applied to
the figures: each record touched counts out with its values before the first of those events
and in with its values now. A record's earlier value of the group or a summed field is the
``old`` of the first update that changed it, else its value now; whether it was live is told
by its first delete (live) or restore (not live); one created since was not there.

Everything is read in one statement, so the figures, the version, the events and the records'
values now are of one snapshot. When that cannot be trusted, the caller recomputes in full
(``None``): more events than ``MAX_EVENTS``, an event of a kind not understood, a value that
does not convert, a record purged whose values were counted, a choice not among the options,
more groups than the query's limit, events removed by an outbox purge after the mark
(``data_versions.PURGED``), a version that moved without events.

Why the mark is sound: the unit of work bumps a table's version *before* it appends its events
(``services.uow._finish``), holding the version row's lock to its commit. An event numbered at
or below the newest event a snapshot sees, but not visible in it, belongs to a writer that
bumped before the snapshot and had not committed — on PostgreSQL the version row visible then
carries that writer's ``xmax``. Figures read while the row was so held get no mark (they are
served, but the next change recomputes). SQLite has one writer at a time, whose events number
above every committed one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from cairn.core.events import RECORD_CREATED, RECORD_DELETED, RECORD_RESTORED, RECORD_UPDATED
from cairn.meta import Field
from cairn.meta.fieldtypes.choices import SingleSelectType
from cairn.meta.fieldtypes.number import NumberType
from cairn.reports.datasets import DatasetResult, Dimension, Measure
from cairn.reports.dimensions import plain
from cairn.reports.spec import DatasetSpec
from cairn.store import system
from cairn.store.catalog import TableSchema
from cairn.store.data_versions import PURGED

#: More record events than this since the mark: recompute instead.
MAX_EVENTS = 5000
RECORD_PURGED = "record.purged"
LIVENESS = {RECORD_DELETED: True, RECORD_RESTORED: False, RECORD_PURGED: False}
KNOWN = {RECORD_CREATED, RECORD_UPDATED, *LIVENESS}


class Unsure(Exception):
    """The figures cannot be brought forward: recompute them."""


@dataclass(frozen=True)
class Shape:
    """A dataset query kept incrementally: its table, its group field, and per measure the
    summed field (None: a count)."""

    schema: TableSchema
    group: Field
    sums: tuple[Field | None, ...]
    #: The group field's option labels → their ids (events name a choice by its label).
    labels: Mapping[str, str]

    @property
    def summed(self) -> list[Field]:
        return [f for f in self.sums if f is not None]


@dataclass
class State:
    """Figures per group value: ``[records, total, not blank, total, not blank, …]`` (one
    pair per summed field), at ``version``; ``mark``: the newest outbox event seen, None
    when the figures cannot be brought forward."""

    version: int
    mark: int | None
    groups: dict[str | None, list[Any]] = field(default_factory=dict)


def shape_of(schema: TableSchema, spec: DatasetSpec) -> Shape | None:
    """The incremental shape of ``spec`` (for a caller who reads every row), or None."""
    if schema.parent is not None or spec.filter is not None or spec.columns or spec.sort:
        return None
    if len(spec.dimensions) != 1:
        return None
    d = spec.dimensions[0]
    group = schema.by_key.get(d.field)
    if group is None or d.bucket is not None or d.bin is not None:
        return None
    if type(schema.type_of(group)) is not SingleSelectType or group.sensitive:
        return None
    choices = group.options.get("choices", [])
    labels = {str(c.get("value")): str(c["id"]) for c in choices}
    if len(labels) != len(choices):
        return None  # two options with one label: an event's value would be ambiguous
    sums: list[Field | None] = []
    for m in spec.measures:
        if m.filter is not None or m.since is not None or m.formula is not None:
            return None
        if m.agg == "count" and m.field is None:
            sums.append(None)
            continue
        f = schema.by_key.get(m.field or "")
        if m.agg != "sum" or f is None or f.sensitive:
            return None
        if type(schema.type_of(f)) is not NumberType:
            return None
        sums.append(f)
    return Shape(schema, group, tuple(sums), labels)


# -- statements ----------------------------------------------------------------------------
#: Whether the version row's xmax (a 32-bit transaction id) is a transaction the statement's
#: snapshot sees in progress: at or above the snapshot's xmax, or among its xip (ids reduced
#: to 32 bits, compared relative to the snapshot's xmin across wraparound).
_X = "xmax::text::bigint"
_SNAP = "pg_current_snapshot()"
_LOW = f"mod(pg_snapshot_xmin({_SNAP})::text::bigint, 4294967296)"
_REL = f"mod({_X} - {_LOW} + 4294967296, 4294967296)"
_SPAN = f"(pg_snapshot_xmax({_SNAP})::text::bigint - pg_snapshot_xmin({_SNAP})::text::bigint)"
_XIP = f"SELECT mod(y::text::bigint, 4294967296) FROM pg_snapshot_xip({_SNAP}) AS y"
_IN_PROGRESS = f"({_X} <> 0 AND {_REL} < 2147483648 AND ({_REL} >= {_SPAN} OR {_X} IN ({_XIP})))"


def _head(conn: sa.Connection, table_id: int) -> sa.Subquery:
    """One row: the table's version, whether a writer holds it, the newest outbox event and
    the newest one a purge removed."""
    tv, o = system.table_versions, system.outbox
    version = sa.select(tv.c.version).where(tv.c.table_id == table_id).scalar_subquery()
    purged = sa.select(tv.c.version).where(tv.c.table_id == PURGED).scalar_subquery()
    if conn.dialect.name == "postgresql":
        # A writer that bumped the version row and had not committed when this statement's
        # snapshot was taken: the visible row's xmax among the snapshot's transactions in
        # progress (an xmax alone may be a committed writer's lock left on the row).
        in_progress = sa.literal_column(_IN_PROGRESS)
        busy: Any = sa.select(sa.cast(in_progress, sa.Integer)).select_from(tv)
        busy = busy.where(tv.c.table_id == table_id).scalar_subquery()
    else:
        busy = sa.literal(0)
    return sa.select(
        version.label("version"),
        busy.label("busy"),
        sa.select(sa.func.max(o.c.id)).scalar_subquery().label("mark"),
        purged.label("purged"),
    ).subquery("head")


def _start(head: Any, dialect: str) -> State:
    """A table never written has no version row: on PostgreSQL its first writer may be under
    way unseen (no row to hold), so such figures get no mark."""
    held = (head.version is None and dialect == "postgresql") or (head.busy or 0) != 0
    return State(int(head.version or 0), None if held else int(head.mark or 0))


def full(conn: sa.Connection, shape: Shape) -> State:
    """The figures computed from every live record, with their version and mark."""
    t = shape.schema.sa_table
    g = t.c[shape.group.column_name]
    cols: list[Any] = [g.label("g"), sa.func.count().label("n")]
    for i, f in enumerate(shape.summed):
        c = t.c[f.column_name]
        cols += [sa.func.sum(c).label(f"s{i}"), sa.func.count(c).label(f"c{i}")]
    agg = sa.select(*cols).where(t.c.deleted_at.is_(None)).group_by(g).subquery("agg")
    head = _head(conn, shape.schema.id)
    q = sa.select(head, agg).select_from(head.outerjoin(agg, sa.true()))
    rows = conn.execute(q).all()
    state = _start(rows[0], conn.dialect.name)
    for r in rows:
        if r.n is None:  # no live record
            continue
        figures: list[Any] = [int(r.n)]
        for i in range(len(shape.summed)):
            figures += [_number(r._mapping[f"s{i}"] or 0), int(r._mapping[f"c{i}"])]
        state.groups[r.g] = figures
    return state


def advance(conn: sa.Connection, shape: Shape, state: State) -> State | None:
    """``state`` brought to the table's version now from the record events since its mark,
    or None when that cannot be trusted (recompute)."""
    if state.mark is None:
        return None
    t, o = shape.schema.sa_table, system.outbox
    head = _head(conn, shape.schema.id)
    values = [t.c[shape.group.column_name], *(t.c[f.column_name] for f in shape.summed)]
    events = sa.and_(o.c.id > state.mark, o.c.table_id == shape.schema.id)
    q = (
        sa.select(head, o.c.id, o.c.type, o.c.record_id, o.c.payload, t.c.id.label("rid"))
        .add_columns(t.c.deleted_at, *values)
        .select_from(head.outerjoin(o, events).outerjoin(t, t.c.id == o.c.record_id))
        .order_by(o.c.id)
        .limit(MAX_EVENTS + 1)
    )
    rows = conn.execute(q).all()
    if len(rows) > MAX_EVENTS:
        return None
    top = rows[0]
    if (top.purged or 0) > state.mark:
        return None  # events after the mark may be gone
    new = _start(top, conn.dialect.name)
    seen = [r for r in rows if r.id is not None and str(r.type).startswith("record.")]
    if new.version < state.version or (new.version != state.version and not seen):
        return None
    new.groups = {k: list(v) for k, v in state.groups.items()}
    try:
        for record in _by_record(seen).values():
            _count(shape, new.groups, record, -1, _before(shape, record))
            _count(shape, new.groups, record, 1, _now(shape, record[-1]))
    except Unsure:
        return None
    new.groups = {k: v for k, v in new.groups.items() if v[0] != 0}
    if any(v[0] < 0 for v in new.groups.values()):
        return None
    return new


def _by_record(rows: Sequence[Any]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for r in rows:
        if r.type not in KNOWN or r.record_id is None:
            raise Unsure
        out.setdefault(int(r.record_id), []).append(r)
    return out


Values = tuple[Any, ...] | None


def _now(shape: Shape, row: Any) -> Values:
    """The record's group and summed values now, None when it is not live."""
    if row.rid is None or row.deleted_at is not None:
        return None
    return _now_values(shape, row)


def _before(shape: Shape, events: Sequence[Any]) -> Values:
    """The record's values before the first of ``events``, None when it was not live."""
    first = events[0]
    if first.type == RECORD_CREATED:
        return None
    live = next((LIVENESS[e.type] for e in events if e.type in LIVENESS), None)
    last = events[-1]
    if live is None:
        live = last.rid is not None and last.deleted_at is None
    if not live:
        return None
    if last.rid is None:
        raise Unsure  # purged since, its values unknown
    now = _now_values(shape, last)
    keys = [shape.group.key, *(f.key for f in shape.summed)]
    out = list(now)
    for i, key in enumerate(keys):
        for e in events:
            changes = (e.payload or {}).get("changes") or {}
            if e.type == RECORD_UPDATED and key in changes:
                pair = changes[key]
                if not isinstance(pair, list) or len(pair) != 2:
                    raise Unsure
                out[i] = pair[0] if i else _choice(shape, pair[0])
                break
    return tuple(out)


def _choice(shape: Shape, label: Any) -> str | None:
    if label is None or label == "":
        return None
    if str(label) not in shape.labels:
        raise Unsure
    return shape.labels[str(label)]


def _now_values(shape: Shape, row: Any) -> tuple[Any, ...]:
    t = shape.schema.sa_table
    m = row._mapping
    return (m[t.c[shape.group.column_name]], *(m[t.c[f.column_name]] for f in shape.summed))


def _count(
    shape: Shape, groups: dict[str | None, list[Any]], record: Any, sign: int, v: Values
) -> None:
    if v is None:
        return
    key = None if v[0] in (None, "") else str(v[0])
    figures = groups.setdefault(key, [0] + [Decimal(0), 0] * len(shape.summed))
    figures[0] += sign
    for i, value in enumerate(v[1:]):
        if value is None or value == "":
            continue
        figures[1 + 2 * i] += sign * _number(value)
        figures[2 + 2 * i] += sign


def _number(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise Unsure
    try:
        out = Decimal(str(value))
    except InvalidOperation:
        raise Unsure from None
    if not out.is_finite():
        raise Unsure
    return out


# -- the reply -----------------------------------------------------------------------------
def result(
    shape: Shape, dims: Sequence[Dimension], measures: Sequence[Measure], state: State, limit: int
) -> DatasetResult | None:
    """The dataset's result from ``state``, as the query would give it (groups in the order
    of the options, blank last); None when it would differ (a value not among the options,
    more groups than ``limit``)."""
    order: Mapping[str, int] = {
        c["id"]: i for i, c in enumerate(shape.group.options.get("choices", []))
    }
    if any(k is not None and k not in order for k in state.groups) or len(state.groups) > limit:
        return None
    d = dims[0]
    rows = []
    for key in sorted(state.groups, key=lambda k: len(order) + 1 if k is None else order[k]):
        figures = state.groups[key]
        values: list[Any] = []
        i = 0
        for f in shape.sums:
            if f is None:
                values.append(figures[0])
            else:
                total, n = figures[1 + 2 * i], figures[2 + 2 * i]
                values.append(plain(total) if n else None)
                i += 1
        rows.append(((key,), (d.show(key),), tuple(values)))
    return DatasetResult(list(dims), list(measures), rows, False)
