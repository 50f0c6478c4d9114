"""The SQL of the customer timeline: which records a relation path reaches from one customer
(semi-joins through the junctions, never a join that multiplies rows), and one page of one
kind of entry, newest first, past a keyset cursor.

Every kind is read by its own query ordered by its date (desc) and id (desc) with
``LIMIT limit + 1``; ``cairn.insight.timeline`` merges them. A date field (``DATE``) places a
record at midnight of its day: the comparisons below say so without casting the column, so the
index on (date, id) serves them.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from cairn.meta import junction_sides
from cairn.store.catalog import Catalog, TableSchema
from cairn.store.indexes import build_index, index_names

#: ``(schema, alias) -> condition or None``: the reader's row scope on a table.
RowWhere = Callable[[TableSchema, Any], sa.ColumnElement[bool] | None]


@dataclass(frozen=True)
class Cursor:
    """The last entry a page showed: the next page starts after it."""

    at: datetime
    kind: str
    id: int


@dataclass(frozen=True)
class Window:
    """What a page of one kind asks for."""

    kind: str
    limit: int
    cursor: Cursor | None = None
    start: datetime | None = None  # at >= start
    end: datetime | None = None  # at < end


_aliases: weakref.WeakKeyDictionary[sa.Table, dict[str, Any]] = weakref.WeakKeyDictionary()

#: How many built statements each catalogue snapshot keeps (least recently used dropped).
STATEMENTS = 256
_statements: weakref.WeakKeyDictionary[Catalog, OrderedDict[Hashable, Any]] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()


def statement(catalog: Catalog, key: Hashable | None, build: Callable[[], Any]) -> Any:
    """The statement ``build`` makes, built once per ``key`` for a catalogue snapshot (a
    bounded LRU): a page then neither rebuilds it nor makes SQLAlchemy derive its cache key
    again. Its per-request values are named bind parameters (``tl_customer``, the window's
    ``tl_cat``, ``tl_cid``, ``tl_start``, ``tl_end``, ``tl_lim``, ``tl_ids``) passed at
    execution. ``key`` None: not cached (the statement holds a reader's row scope, which
    may hold the reader's own values: never shared)."""
    if key is None:
        return build()
    with _lock:
        made = _statements.setdefault(catalog, OrderedDict())
        got = made.get(key)
        if got is not None:
            made.move_to_end(key)
            return got
    got = build()
    with _lock:
        made[key] = got
        while len(made) > STATEMENTS:
            made.popitem(last=False)
    return got


def customer(record_id: int) -> Any:
    """The customer record's id as the named parameter ``tl_customer``."""
    return sa.bindparam("tl_customer", record_id, type_=sa.BigInteger)


def alias(table: sa.Table, name: str) -> Any:
    """``table.alias(name)``, made once per table of a catalogue snapshot: an alias builds
    its column collection on first use, which every page would otherwise pay again for each
    hop of each path (statements only read it)."""
    made = _aliases.setdefault(table, {})
    got = made.get(name)
    if got is None:
        got = made[name] = table.alias(name)
    return got


def reach(
    catalog: Catalog,
    tables: Sequence[TableSchema],
    relations: Sequence[Any],
    customer_id: int,
    row_where: RowWhere,
) -> sa.Select[Any]:
    """SELECT of the ids of the records the path reaches from the customer, as a chain of
    joins from the customer's side (it streams: a LIMIT over it reads no more than it needs).
    Every record on the way and at the end counts only when live and in the reader's row
    scope. Ids may repeat when several ways lead to one record (``DISTINCT`` when it matters)."""
    where: list[Any] = []
    joined: Any = None
    prev: Any = None
    for hop, rel in enumerate(relations):
        this, other = junction_sides(rel)
        j = alias(catalog.junction(rel), f"tl_j{hop}")
        t = alias(tables[hop + 1].sa_table, f"tl_t{hop + 1}")
        if joined is None:
            joined = j
            where.append(j.c[this] == customer(customer_id))
        else:
            joined = joined.join(j, j.c[this] == prev.c.id)
        joined = joined.join(t, t.c.id == j.c[other])
        where.append(t.c.deleted_at.is_(None))
        scope = row_where(tables[hop + 1], t)
        if scope is not None:
            where.append(scope)
        prev = t
    return sa.select(prev.c.id).select_from(joined).where(*where)


def reaches(
    catalog: Catalog,
    tables: Sequence[TableSchema],
    relations: Sequence[Any],
    customer_id: int,
    row_where: RowWhere,
    record_id: Any,
) -> sa.ColumnElement[bool]:
    """Whether the record ``record_id`` (a column of the outer query: correlated) is reached
    from the customer by the path: walked backwards from the record, a few index probes per
    row. The record's own liveness and scope are the outer query's."""
    where: list[Any] = []
    joined: Any = None
    prev_j: Any = None
    prev_this = ""
    for hop in range(len(relations) - 1, -1, -1):
        this, other = junction_sides(relations[hop])
        j = alias(catalog.junction(relations[hop]), f"tl_b{hop}")
        if joined is None:
            joined = j
            where.append(j.c[other] == record_id)
        else:
            t = alias(tables[hop + 1].sa_table, f"tl_u{hop + 1}")
            joined = joined.join(t, t.c.id == prev_j.c[prev_this]).join(j, j.c[other] == t.c.id)
            where.append(t.c.deleted_at.is_(None))
            scope = row_where(tables[hop + 1], t)
            if scope is not None:
                where.append(scope)
        prev_j, prev_this = j, this
    where.append(prev_j.c[prev_this] == customer(customer_id))
    # OFFSET: PostgreSQL then keeps it a per-row probe (a sub-plan) instead of turning it
    # into a semi-join that hashes every record the customer reaches (it drops a bare LIMIT 1;
    # an OFFSET, even 0, stops the conversion).
    q = sa.select(sa.literal(1)).select_from(joined).where(*where).limit(1).offset(0)
    return sa.exists(q)


def ids_in(dialect: str, column: Any, ids: Sequence[int]) -> sa.ColumnElement[bool]:
    """``column IN ids`` as one bound value (an array on PostgreSQL, a JSON list read by
    ``json_each`` on SQLite): one statement text whatever the number of ids, so it is
    compiled (and on PostgreSQL prepared) once, not once per length."""
    if dialect == "postgresql":
        arr = sa.bindparam("tl_ids", list(ids), type_=ARRAY(sa.BigInteger), unique=True)
        return column == sa.any_(arr)
    each = sa.func.json_each(sa.bindparam("tl_ids", json.dumps(list(ids)), unique=True))
    return column.in_(sa.select(each.table_valued("value").c.value))


#: How many of a source's newest index entries a walk reads before it gives up (the
#: customer's records are too sparse among them): then its records are read and sorted.
WALK_SCAN = 4000
#: The least index entries a walk's first step reads (else four times its page: a
#: page of the whole timeline mixes several walks); the second step as many, then twice as
#: many each step.
WALK_FIRST = 64


class Walk:
    """One kind's walk down its table's (date, id) index, newest first, past the window's
    cursor. Each ``step`` is one query: a chunk of the index's entries (``where``: the
    reader's row scope, else an index-only read) and, for each, whether it reaches the
    customer (``hit``: a few index probes back along the path, the row itself not read).
    ``found``: the (at, id) of the entries that do, newest first; ``frontier``: the (at, id)
    of the last entry read (every entry newer than it that reaches the customer is in
    ``found``). ``done`` once the walk has a page (``limit + 1``) or reached the end;
    ``sparse`` once ``scan`` entries were read without a page (the customer's records are
    sparse among them: reading them all is cheaper). The same query brings the hits' rows
    (``columns``, joined for the hits only: ``rows``). Several walks advance together: a page
    of the whole timeline needs of each kind only those that come before the others' entries
    (``cairn.insight.timeline``)."""

    def __init__(
        self,
        conn: sa.Connection,
        table: Any,
        columns: Sequence[Any] | Callable[[], Sequence[Any]],
        at: Any,
        where: Sequence[sa.ColumnElement[bool]],
        hit: Callable[[Any], sa.ColumnElement[bool]],
        w: Window,
        *,
        is_date: bool = False,
        scan: int | None = None,
        catalog: Catalog | None = None,
        key: Hashable | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        """``key``: what the step statements are cached by in ``catalog``'s snapshot
        (``statement``; None: built each step), ``params`` their per-request values (the
        customer's id) besides the window's."""
        self.conn = conn
        self.table = table
        self._columns = columns
        self.at = at
        self.hit = hit
        self._rows: dict[int, Any] = {}
        self.w = w
        self.is_date = is_date
        self.scan = WALK_SCAN if scan is None else scan
        self.chunk = max(WALK_FIRST, 4 * (w.limit + 1))
        self.cursor = w.cursor
        self.found: list[tuple[datetime, int]] = []
        self.frontier: tuple[datetime, int] | None = None
        self.scanned = 0
        self.done = False
        self.sparse = False
        self.where = list(where)
        self.catalog = catalog
        self.key = key
        self.params = dict(params or {})

    def step(self) -> None:
        if self.done:
            return
        if self.scanned >= self.scan:
            self.done = self.sparse = True
            return
        size = min(self.chunk, max(1, self.scan - self.scanned))
        if self.scanned:  # the first two steps alike (most pages need no more), then doubling
            self.chunk *= 2
        part = Window(self.w.kind, size - 1, self.cursor, self.w.start, self.w.end)
        shape, values = page_params(part, is_date=self.is_date)
        key = None if self.key is None or self.catalog is None else (self.key, "walk", shape)
        q = statement(self.catalog, key, lambda: self._step_query(part))  # type: ignore[arg-type]
        rows = self.conn.execute(q, {**self.params, **values}).all()
        entries = sorted(
            ((as_time(r.tl_wat), r.tl_wid, bool(r.tl_hit)) for r in rows), reverse=True
        )
        read = int(rows[0].tl_of) if rows else 0
        self._rows.update((r.tl_wid, r) for r in rows if r.tl_hit)
        self.found += [(at, id_) for at, id_, hit in entries if hit]
        self.scanned += read
        if entries:
            self.frontier = entries[-1][:2]
            self.cursor = Cursor(self.frontier[0], self.w.kind, self.frontier[1])
        if len(self.found) > self.w.limit or read < size:
            self.found = self.found[: self.w.limit + 1]
            self.done = True

    def columns(self) -> list[Any]:
        """The hits' row columns (``columns`` may be a function making them)."""
        c = self._columns
        return list(c() if callable(c) else c)

    def _step_query(self, part: Window) -> sa.Select[Any]:
        """One step's statement: a chunk of the index past the window's cursor, each entry
        marked whether it reaches the customer."""
        t = self.table
        entries = sa.select(t.c.id, self.at.label("tl_wat")).where(
            t.c.deleted_at.is_(None), *self.where
        )
        chunk = page_of(entries, self.at, t.c.id, part, is_date=self.is_date)
        c = chunk.subquery("tl_chunk")
        order = (c.c.tl_wat.desc(), c.c.id.desc())
        marked = sa.select(
            c.c.id,
            c.c.tl_wat,
            self.hit(c.c.id).label("tl_hit"),
            sa.func.row_number().over(order_by=order).label("tl_n"),
            sa.func.count().over().label("tl_of"),
        ).subquery("tl_marked")
        # Only the hits (with their rows' ``columns``) and the chunk's last entry (the
        # frontier) come back.
        m = marked.c
        return (
            sa.select(m.id.label("tl_wid"), m.tl_wat, m.tl_hit, m.tl_of, *self.columns())
            .select_from(marked.outerjoin(t, sa.and_(t.c.id == m.id, m.tl_hit)))
            .where(sa.or_(m.tl_hit, m.tl_n == m.tl_of))
        )

    def rows(self, ids: Sequence[int]) -> list[Any]:
        """The rows (``columns``) of the found entries ``ids``."""
        return [self._rows[i] for i in ids]


def _midnight(d: date) -> datetime:
    return datetime.combine(d, time())


def _at(col: Any, name: str, value: Any) -> Any:
    return sa.bindparam(name, value, type_=col.type)


def _bound(col: Any, name: str, at: datetime, is_date: bool, op: str) -> tuple[Any, str]:
    """``col <op> at`` (a date column placed at midnight) as a condition on the named
    parameter ``name`` and the form it took (part of a statement's shape)."""
    if not is_date:
        p = _at(col, name, at)
        if op == "lt":
            return col < p, op
        if op == "le":
            return col <= p, op
        return (col == p, op) if op == "eq" else (col >= p, op)
    d = at.date()
    midnight = at.time() == time()
    p = _at(col, name, d)
    if op == "le":
        return col <= p, op
    if op == "lt":
        return (col < p, "lt") if midnight else (col <= p, "le")
    if op == "eq":
        return (col == p, "eq") if midnight else (sa.false(), "never")
    return (col >= p, "ge") if midnight else (col > p, "gt")


def window_where(
    at: Any, id_col: Any, w: Window, *, is_date: bool = False
) -> tuple[list[Any], tuple[Any, ...], dict[str, Any]]:
    """The conditions of a window on ``at`` (and ``id_col``), their shape (what a cached
    statement is keyed by) and their values (named parameters ``tl_cat``, ``tl_cid``,
    ``tl_start``, ``tl_end``). The order of the whole timeline is (at, kind, id) descending;
    in one kind's query the kind is a constant, so the cursor's condition takes one of three
    forms."""
    where = [at.is_not(None)]
    shape: list[Any] = []
    values: dict[str, Any] = {}
    c = w.cursor
    if c is not None:
        values["tl_cat"] = c.at.date() if is_date else c.at
        if w.kind < c.kind:
            cond, form = _bound(at, "tl_cat", c.at, is_date, "le")
            where.append(cond)
        elif w.kind > c.kind:
            cond, form = _bound(at, "tl_cat", c.at, is_date, "lt")
            where.append(cond)
        else:
            lt, f1 = _bound(at, "tl_cat", c.at, is_date, "lt")
            eq, f2 = _bound(at, "tl_cat", c.at, is_date, "eq")
            cid = sa.bindparam("tl_cid", c.id, type_=sa.BigInteger)
            where.append(sa.or_(lt, sa.and_(eq, id_col < cid)))
            form = f"{f1}/{f2}"
            values["tl_cid"] = c.id
        shape.append(("cursor", form))
    if w.start is not None:
        cond, form = _bound(at, "tl_start", w.start, is_date, "ge")
        where.append(cond)
        shape.append(("start", form))
        values["tl_start"] = w.start.date() if is_date else w.start
    if w.end is not None:
        cond, form = _bound(at, "tl_end", w.end, is_date, "lt")
        where.append(cond)
        shape.append(("end", form))
        values["tl_end"] = w.end.date() if is_date else w.end
    return where, tuple(shape), values


def page_of(
    query: sa.Select[Any], at: Any, id_col: Any, w: Window, *, is_date: bool = False
) -> sa.Select[Any]:
    """``query`` (selecting ``at`` and ``id`` among its columns) limited to the window, newest
    first (``window_where``; the limit: the named parameter ``tl_lim``)."""
    where = window_where(at, id_col, w, is_date=is_date)[0]
    lim = sa.bindparam("tl_lim", w.limit + 1, type_=sa.Integer)
    return query.where(*where).order_by(at.desc(), id_col.desc()).limit(lim)


def _form(at: datetime, is_date: bool, op: str) -> str:
    """The form ``_bound`` gives ``col <op> at`` (without building it)."""
    if not is_date or at.time() == time() or op == "le":
        return op
    return {"lt": "le", "eq": "never", "ge": "gt"}[op]


def page_params(w: Window, *, is_date: bool = False) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The shape and the parameter values of a window (``page_of``, ``window_where``),
    limit included, without building its conditions."""
    shape: list[Any] = []
    values: dict[str, Any] = {"tl_lim": w.limit + 1}
    c = w.cursor
    if c is not None:
        values["tl_cat"] = c.at.date() if is_date else c.at
        if w.kind < c.kind:
            form = _form(c.at, is_date, "le")
        elif w.kind > c.kind:
            form = _form(c.at, is_date, "lt")
        else:
            form = f"{_form(c.at, is_date, 'lt')}/{_form(c.at, is_date, 'eq')}"
            values["tl_cid"] = c.id
        shape.append(("cursor", form))
    if w.start is not None:
        shape.append(("start", _form(w.start, is_date, "ge")))
        values["tl_start"] = w.start.date() if is_date else w.start
    if w.end is not None:
        shape.append(("end", _form(w.end, is_date, "lt")))
        values["tl_end"] = w.end.date() if is_date else w.end
    return tuple(shape), values


def as_time(value: Any) -> datetime:
    """A fetched date or timestamp as a naive timestamp (a date at midnight)."""
    if isinstance(value, datetime):
        return value
    return _midnight(value)


def one_way(catalog: Catalog, relations: Sequence[Any]) -> bool:
    """Whether every record at the end of the path is reached one way only: on each hop the
    record has one parent at most (the relation seen from its side is single)."""
    for rel in relations:
        if rel.options.get("reverse_of"):  # the child holds the relation
            back = catalog.field_by_id(int(rel.options["reverse_of"]))
        elif rel.options.get("reverse_field_id"):  # the child holds its reverse
            back = catalog.field_by_id(int(rel.options["reverse_field_id"]))
        else:
            return False
        if back.options.get("multiple", True):
            return False
    return True


def reached_counts(
    chains: Sequence[tuple[sa.Select[Any], bool]], cap: int
) -> sa.Select[Any] | None:
    """The query of how many distinct ids each join chain (``reach``) gives, counting no
    further than ``cap``, in one row (``counted``); None without chains. A chain is cut first
    (``LIMIT``, so it streams and stops): at ``cap + 1`` when it reaches each record one way
    only (its flag: ``one_way``), else at a few times that and then de-duplicated (a path
    through many-to-many relations reaching one record many times may count a little
    short)."""
    if not chains:
        return None
    counts = []
    for ids, single in chains:
        if single:
            sub = ids.limit(cap + 1).subquery()
            counts.append(sa.select(sa.func.count()).select_from(sub).scalar_subquery())
        else:
            sub = ids.limit(4 * (cap + 1)).subquery()
            counts.append(sa.select(sa.func.count(sa.distinct(sub.c[0]))).scalar_subquery())
    return sa.select(*counts)


def counted(
    conn: sa.Connection, query: sa.Select[Any], params: dict[str, Any], cap: int
) -> list[tuple[int, bool]]:
    """The counts of ``reached_counts``' query: (count up to ``cap``, whether more)."""
    row = conn.execute(query, params).one()
    return [(min(int(n), cap), int(n) > cap) for n in row]


def bounded_count(conn: sa.Connection, query: sa.Select[Any], cap: int) -> tuple[int, bool]:
    """How many rows ``query`` gives, counting no further than ``cap`` (then ``more``)."""
    sub = query.order_by(None).limit(cap + 1).subquery()
    n = int(conn.execute(sa.select(sa.func.count()).select_from(sub)).scalar_one())
    return min(n, cap), n > cap


def end_of_day(d: date) -> datetime:
    return _midnight(d) + timedelta(days=1)


def timeline_index_name(table_id: int, column: str) -> str:
    """The index a source's page walks: (date, id) over live records; for ``id``: the ids of
    the live records (a hop's "is it live" probe reads the index alone, not the row)."""
    return f"ix_t{table_id}_tl_{column}"


def ensure_indexes(engine: sa.Engine, wanted: Sequence[tuple[int, str]]) -> list[str]:
    """Build the missing indexes ``(table id, date column or "id")`` of the sources' tables
    (``CONCURRENTLY`` on PostgreSQL); the names built."""
    built = []
    for table_id, column in dict.fromkeys(wanted):
        name = timeline_index_name(table_id, column)
        with engine.connect() as conn:
            if name in index_names(conn, table_id):
                continue
        columns = ["id"] if column == "id" else [column, "id"]
        build_index(engine, table_id, name, columns, live_only=True)
        built.append(name)
    return built
