"""Segments: a saved condition on a customer table, and its members kept equal to the live
records that meet it.

The condition is the grid's JSON filter tree (``query.filters``): conditions on the table's
fields, lookups and rollups across relations, and formula nodes with aggregates over related
records. ``condition`` compiles it (refusing what does not type-check, with its path);
``evaluate`` makes the members equal to the matching set by two set differences in SQL (who
enters, who leaves), over the whole table or only the records an event touched, writing the
history rows and the ``segment.entered`` / ``segment.exited`` events in the same transaction.
``affected`` maps an event on a related table, one or two relations away, to the customer
records whose condition it may change (``segment_runs`` re-checks them after a batch of
events). A condition that reads the clock (TODAY(), relative dates) is ``time_based``: a
schedule re-evaluates it. The static segments' changes by hand, a freeze's copy, the preview's
count and the schedule's due check are here too; ``services.segments`` adds the transactions
and permissions."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.visitors import iterate, replacement_traverse

from cairn.core import Clock, Event, Invalid
from cairn.core import events as ev
from cairn.core.i18n import register_messages
from cairn.insight.segment_messages import MESSAGES
from cairn.insight.segment_ports import SegmentWork
from cairn.meta import junction_sides
from cairn.query.filters import FilterCompiler
from cairn.query.formula import ByDialect
from cairn.query.tree import parse_filter
from cairn.store import segments as store
from cairn.store.catalog import Catalog, TableSchema

register_messages(MESSAGES)

KINDS = ("dynamic", "static")
REFRESH = ("hourly", "daily")
#: How long a time-based condition stays as evaluated, by ``refresh``.
PERIODS = {"hourly": timedelta(hours=1), "daily": timedelta(days=1)}
#: ``cause`` of a membership change: a record event re-checked, a scheduled re-evaluation, a
#: change by hand (static segments, a freeze), an evaluation on request (or on saving).
CAUSES = ("event", "schedule", "manual", "full")
#: Record events that may change a record's membership, by type (``record.tagged`` and
#: ``interaction.logged`` come from the tag and interaction parts).
RECORD_EVENTS = frozenset(
    {
        ev.RECORD_CREATED,
        ev.RECORD_UPDATED,
        ev.RECORD_DELETED,
        ev.RECORD_RESTORED,
        ev.RECORD_PURGED,
        ev.RECORD_MERGED,
        ev.RECORD_UNMERGED,
        "record.tagged",
        "record.untagged",
        "interaction.logged",
    }
)


@dataclass(frozen=True)
class Condition:
    """A compiled condition: the boolean SQL over ``schema.sa_table`` and whether it reads
    the clock (then it holds the clock's date, and is compiled again for each evaluation)."""

    where: sa.ColumnElement[bool]
    time_based: bool
    #: What it works out once: its SQL per database, the tables it reads.
    _memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def on(self, dialect: str) -> sa.ColumnElement[bool]:
        """The condition for ``dialect`` only: a formula's per-database expressions resolved,
        so SQLAlchemy caches the statements it is in (a re-check then costs its round trip,
        not a compilation)."""
        where = self._memo.get(dialect)
        if where is None:

            def pick(el: Any) -> Any:
                if not isinstance(el, ByDialect):
                    return None
                chosen = getattr(el, dialect, el.sqlite)
                return replacement_traverse(chosen, {}, pick)  # one inside another

            where = replacement_traverse(self.where, {}, pick)
            self._memo[dialect] = where
        return where

    @property
    def reads(self) -> frozenset[str] | None:
        """The names of the tables its SQL reads besides the segment's own (related records,
        junctions), on either database; None when it cannot tell (SQL as text, an expression
        of Cairn's own): then it may read any."""
        if "reads" not in self._memo:
            self._memo["reads"] = _tables_read([self.on("sqlite"), self.on("postgresql")])
        return self._memo["reads"]  # type: ignore[no-any-return]


def _tables_read(exprs: Iterable[Any]) -> frozenset[str] | None:
    names: set[str] = set()
    for expr in exprs:
        for el in iterate(expr):
            if isinstance(el, sa.Table):
                names.add(el.name)
            elif isinstance(el, sa.TextClause) or type(el).__module__.startswith("cairn"):
                return None
    return frozenset(names)


def condition(catalog: Catalog, schema: TableSchema, tree: Any, clock: Clock) -> Condition:
    """``tree`` compiled on ``schema``; ``Invalid`` under ``filter`` (with the path of the
    node at fault) when it does not parse or type-check. No condition: every live record.

    It is time-based when its SQL differs a day later: the compiler flags anything that may
    read the clock (every formula), and only a formula that calls TODAY() or NOW(), or a
    relative-date operator, really puts the clock's moment into the SQL."""
    try:
        node = parse_filter(tree)
        if node is None:
            return Condition(sa.true(), False)
        compiler = FilterCompiler(catalog, schema, clock)
        where = compiler.compile(node)
        time_based = False
        if compiler.clock_dependent:
            later = FilterCompiler(catalog, schema, _Later(clock)).compile(node)
            time_based = _sql(where) != _sql(later)
    except Invalid as e:
        raise _under_filter(e) from None
    return Condition(where, time_based)


class _Later:
    """The clock a day and an hour on: what a condition that reads the clock compiles
    differently with."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def now(self) -> datetime:
        return self.clock.now() + timedelta(days=1, hours=1)


def _sql(where: sa.ColumnElement[bool]) -> tuple[str, Any]:
    compiled = where.compile()
    return str(compiled), sorted((k, repr(v)) for k, v in compiled.params.items())


def _under_filter(e: Invalid) -> Invalid:
    """Errors of a filter tree are already named ``filter…``; others (a formula's) go under it."""
    if all(k == "filter" or k.startswith("filter.") for k in e.field_errors):
        return e
    return e.under("filter")


@dataclass
class Change:
    """What one evaluation changed."""

    entered: list[int] = field(default_factory=list)
    left: list[int] = field(default_factory=list)
    members: int = 0


def evaluate(
    work: SegmentWork,
    segment: Any,
    schema: TableSchema,
    clock: Clock,
    cause: str,
    ids: Sequence[int] | None = None,
    *,
    announce: bool = True,
    cond: Condition | None = None,
) -> Change:
    """Make the members of a dynamic ``segment`` (a row) equal to the live records of
    ``schema`` meeting its condition: all of them (the segment's row locked meanwhile), or
    among ``ids`` only (what an event touched; ``cond``: the condition compiled already).
    History rows, the day's counts and (``announce``) one event per record that entered or
    left, all in ``work``'s transaction."""
    if ids is None:
        segment = store.lock(work.conn, segment.id)
    if segment is None or segment.kind != "dynamic":
        return Change()
    if ids is not None and not ids:
        return Change()
    if cond is None:
        cond = condition(work.catalog, schema, segment.filter, clock)
    if ids is None:
        entered, left = differences(work.conn, segment.id, schema, cond)
    else:
        entered, left = differences_many(work.conn, [(segment.id, schema, cond, ids)])[segment.id]
    return apply(work, segment, entered, left, cause, announce=announce, full=ids is None)


def differences(
    conn: sa.Connection,
    segment_id: int,
    schema: TableSchema,
    cond: Condition,
) -> tuple[list[int], list[int]]:
    """(who enters, who leaves) over the whole table, computed in SQL
    (``store.segments.differences``): only the differences come back, not the matching set."""
    return store.differences(conn, segment_id, schema, cond.on(conn.dialect.name))


def differences_many(
    conn: sa.Connection, items: Sequence[tuple[int, TableSchema, Condition, Sequence[int]]]
) -> dict[int, tuple[list[int], list[int]]]:
    """(who enters, who leaves) of many segments among a few ids each, in one statement (a
    UNION ALL of each segment's matching ids and members): what a batch of events costs to
    re-check when, as mostly, nobody enters or leaves. Keyed by segment id. The statement is
    built once for a set of segments and conditions (the ids are its parameters), and its SQL
    is cached by SQLAlchemy."""
    if not items:
        return {}
    q = _recheck_statement(conn.dialect.name, [(sid, s, cond) for sid, s, cond, _ in items])
    params = {f"ids_{sid}": list(ids) for sid, _, _, ids in items}
    matching: dict[int, set[int]] = {i[0]: set() for i in items}
    current: dict[int, set[int]] = {i[0]: set() for i in items}
    for sid, rid, kind in conn.execute(q, params):
        (matching if kind == 1 else current)[int(sid)].add(int(rid))
    return {
        sid: (sorted(matching[sid] - current[sid]), sorted(current[sid] - matching[sid]))
        for sid in matching
    }


#: Re-check statements built (the conditions they hold keep their ids from being reused).
_STATEMENTS: dict[tuple[Any, ...], tuple[list[Condition], Any]] = {}
_STATEMENTS_MAX = 64
_STATEMENTS_LOCK = threading.Lock()


def _recheck_statement(
    dialect: str, items: Sequence[tuple[int, TableSchema, Condition]]
) -> sa.Executable:
    key = (dialect, *((sid, s.sa_table.name, id(cond)) for sid, s, cond in items))
    with _STATEMENTS_LOCK:
        got = _STATEMENTS.get(key)
    if got is not None:
        return got[1]
    m = store.segment_members
    parts = []
    for segment_id, schema, cond in items:
        t = schema.sa_table
        ids = sa.bindparam(f"ids_{segment_id}", expanding=True)
        parts.append(
            sa.select(
                sa.literal(segment_id).label("sid"), t.c.id.label("rid"), sa.literal(1)
            ).where(t.c.id.in_(ids), t.c.deleted_at.is_(None), cond.on(dialect))
        )
        parts.append(
            sa.select(sa.literal(segment_id), m.c.record_id, sa.literal(2)).where(
                m.c.segment_id == segment_id, m.c.record_id.in_(ids)
            )
        )
    q = sa.union_all(*parts)
    with _STATEMENTS_LOCK:
        if len(_STATEMENTS) >= _STATEMENTS_MAX:
            _STATEMENTS.pop(next(iter(_STATEMENTS)))
        _STATEMENTS[key] = ([c for _, _, c in items], q)
    return q


def apply(
    work: SegmentWork,
    row: Any,
    entered: Sequence[int],
    left: Sequence[int],
    cause: str,
    *,
    announce: bool = True,
    full: bool = False,
) -> Change:
    """Write ``entered`` (not members) and ``left`` (members) of segment ``row``: members,
    history, the member count, the day's counts, events."""
    conn, now = work.conn, work.now
    store.change_members(conn, row.id, entered, left, now, cause)
    members = row.member_count
    if entered or left or full:
        members = store.bump_count(
            conn, row.id, len(entered) - len(left), evaluated_at=now if full else None
        )
        store.count_day(conn, row.id, now.date(), members, len(entered), len(left))
    if announce:
        payload = {"segment_id": row.id, "segment": row.name, "cause": cause}
        for rid in left:
            work.emit(Event(ev.SEGMENT_EXITED, row.app_id, row.table_id, rid, dict(payload)))
        for rid in entered:
            work.emit(Event(ev.SEGMENT_ENTERED, row.app_id, row.table_id, rid, dict(payload)))
    return Change(list(entered), list(left), members)


def due(row: Any, now: datetime) -> bool:
    """Is a dynamic segment's scheduled re-evaluation due at ``now`` (naive, UTC): its
    ``refresh`` period is over since it was last evaluated (or it never was)?"""
    period = PERIODS.get(row.refresh or "")
    return (
        row.kind == "dynamic"
        and period is not None
        and (row.evaluated_at is None or row.evaluated_at + period <= now)
    )


def count_matching(
    conn: sa.Connection,
    schema: TableSchema,
    cond: Condition,
    scope: sa.ColumnElement[bool] | None = None,
) -> int:
    """How many live records of ``schema`` meet ``cond`` (and the reader's row ``scope``)."""
    t = schema.sa_table
    where = sa.and_(t.c.deleted_at.is_(None), cond.on(conn.dialect.name))
    if scope is not None:
        where = sa.and_(where, scope)
    return int(conn.execute(sa.select(sa.func.count()).select_from(t).where(where)).scalar() or 0)


def change_static(
    work: SegmentWork, row: Any, schema: TableSchema, wanted: Sequence[int], add: bool
) -> Change:
    """Add (live records only: ``Invalid`` under ``ids`` naming the first that is not) or
    remove ``wanted`` records of a static segment by hand, its row locked meanwhile."""
    conn = work.conn
    row = store.lock(conn, row.id)
    current = set(store.member_ids(conn, row.id))
    if add:
        t = schema.sa_table
        live = set(
            conn.execute(
                sa.select(t.c.id).where(t.c.id.in_(list(wanted)), t.c.deleted_at.is_(None))
            ).scalars()
        )
        missing = [i for i in wanted if i not in live]
        if missing:
            raise Invalid.on("ids", "record.not_found", id=missing[0])
        entered, left = sorted(live - current), []
    else:
        entered, left = [], sorted(set(wanted) & current)
    return apply(work, row, entered, left, "manual")


def freeze(work: SegmentWork, row: Any, frozen: Any) -> Change:
    """Copy the members of segment ``row`` into the new static segment ``frozen`` (history
    rows, no events: the copy is news to nobody)."""
    ids = store.member_ids(work.conn, row.id)
    return apply(work, frozen, ids, [], "manual", announce=False, full=True)


# -- events → records to re-check -----------------------------------------------------------------
#: How many relations (or sub-forms) away an event still maps to the records it may change: a
#: condition reads one hop with lookups, rollups and aggregates, and a second one through the
#: lookups, rollups and formulas of the table in between.
HOPS = 2


def paths_into(catalog: Catalog, schema: TableSchema, table_id: int) -> list[tuple[Any, ...]]:
    """The chains of relations and sub-forms from ``schema`` that reach records of
    ``table_id`` and that a condition on ``schema`` can read through: one hop (an event on
    such a record may change a lookup, a rollup or an aggregate of the records linked to it),
    or two, when the table in between has a computed field (lookup, rollup, formula) that
    reads through the second."""
    out: list[tuple[Any, ...]] = []
    for f in _reaching(schema):
        if f.reached_table_id == table_id:
            out.append((f,))
        middle = catalog.schemas.get(f.reached_table_id or 0)
        if middle is None or HOPS < 2:
            continue
        read = _read_through(middle)
        out.extend(
            (f, g) for g in _reaching(middle) if g.reached_table_id == table_id and g.id in read
        )
    return out


def _reaching(schema: TableSchema) -> list[Any]:
    return [f for f in schema.fields if f.reaches_rows and f.deleted_at is None]


def _read_through(schema: TableSchema) -> set[int]:
    """Ids of the relations and sub-forms of ``schema`` that its computed fields read through."""
    out: set[int] = set()
    for g in schema.fields:
        if g.deleted_at is not None:
            continue
        if g.reads_through_relation and g.options.get("relation_field_id"):
            out.add(int(g.options["relation_field_id"]))
        elif g.is_formula:
            out.update(int(u) for u in g.options.get("uses") or () if isinstance(u, int))
    return out


def affected(
    conn: sa.Connection,
    catalog: Catalog,
    schema: TableSchema,
    table_id: int,
    ids: Iterable[int],
    payloads: Iterable[dict[str, Any]] = (),
    reads: frozenset[str] | None = None,
) -> set[int]:
    """The records of ``schema`` linked to records ``ids`` of table ``table_id``, one or two
    hops away (``paths_into``): linked now, or before the events, as their ``changes`` show
    the links they had (the last hop's). ``reads``: the tables the condition reads
    (``Condition.reads``), when known: a path whose last hop it does not read is passed by."""
    ids = set(ids)
    out: set[int] = set()
    paths = paths_into(catalog, schema, table_id) if ids else []
    if reads is not None:
        paths = [p for p in paths if _last_hop_tables(catalog, p[-1]) & reads]
    if not paths:
        return out
    payloads = list(payloads)
    for path in paths:
        near = _linked_back(conn, catalog, path[-1], ids)
        # Links the events removed: the records they pointed at before.
        before = catalog.schemas.get(path[-1].table_id)
        if before is not None:
            keys = _keys_pointing_back(catalog, before, table_id)
            for p in payloads:
                for key, change in (p.get("changes") or {}).items():
                    if key in keys and isinstance(change, list | tuple):
                        for side in change:
                            near |= _ids_in(side)
        for f in reversed(path[:-1]):
            near = _linked_back(conn, catalog, f, near) if near else set()
        out |= near
    return out


def _last_hop_tables(catalog: Catalog, f: Any) -> set[str]:
    """The tables SQL reads to follow ``f``: the records it reaches, its junction."""
    out = set()
    reached = catalog.schemas.get(f.reached_table_id or 0)
    if reached is not None:
        out.add(reached.sa_table.name)
    if f.is_relation:
        out.add(catalog.junction(f).name)
    return out


def _linked_back(conn: sa.Connection, catalog: Catalog, f: Any, ids: set[int]) -> set[int]:
    """The records of ``f``'s table that ``f`` (a relation or a sub-form) links to ``ids``."""
    if f.is_subform:
        rows = catalog.schema(f.reached_table_id).sa_table
        q = sa.select(rows.c.parent_id).where(rows.c.id.in_(sorted(ids)))
    else:
        this, other = junction_sides(f)
        j = catalog.junction(f)
        q = sa.select(j.c[this]).where(j.c[other].in_(sorted(ids)))
    return {int(x) for x in conn.execute(q).scalars() if x is not None}


def _keys_pointing_back(catalog: Catalog, schema: TableSchema, table_id: int) -> set[str]:
    """Keys of the relation fields of ``table_id`` that link to ``schema``."""
    try:
        other = catalog.schema(table_id)
    except Exception:
        return set()
    return {f.key for f in other.fields if f.is_relation and f.reached_table_id == schema.id}


def _ids_in(value: Any) -> set[int]:
    if isinstance(value, bool) or value is None:
        return set()
    if isinstance(value, int):
        return {value}
    if isinstance(value, dict):
        return _ids_in(value.get("id"))
    if isinstance(value, list | tuple):
        out: set[int] = set()
        for v in value:
            out |= _ids_in(v)
        return out
    return set()


def own_ids(event_type: str, record_id: int | None, payload: dict[str, Any]) -> set[int]:
    """The records of the event's own table to re-check (a merge: the survivor and the loser)."""
    out = {record_id} if record_id else set()
    for k in ("survivor_id", "loser_id"):
        v = payload.get(k)
        if isinstance(v, int) and not isinstance(v, bool):
            out.add(v)
    return out
