"""The customer timeline: everything about one customer in time order.

Kinds: each configured source (``source:<i>``: the records a relation path of up to three hops
reaches), ``comment`` (on the customer and on source records), ``change`` (notable field
changes of the customer and of source records, from the history), ``process`` (the steps of
processes on the customer record), ``message`` (deliveries about the customer record) and
``interaction`` (``timeline_system``). Entries come newest first, ties by (kind, id)
descending; a page reads each kind past the cursor ordered by its date with ``LIMIT limit +
1`` and merges them here, so a customer with 100,000 entries costs what one with 100 does.

A source reaching many records is read by walking its (date, id) index newest first and
probing each entry's path back to the customer (``store.timeline.Walk``); the walks of a page
step together and stop once the page is known (``timeline_merge``). A source reaching a few
is read at once and sorted.

Permissions: a source shows only when the reader may read every table on its path and see
every relation field it follows; its rows are those in the reader's row scope on every hop.
A title names only fields the reader sees unmasked, else it is ``<table name> #<id>``.
Comments and changes of a source's records show only with the source; changes of hidden fields
never show; kinds the reader cannot see are not listed.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.auth.guard import Guard
from cairn.core import Invalid
from cairn.insight.timeline_config import (
    SYSTEM_DATES,
    SYSTEM_TITLE_KEYS,
    Source,
    resolve,
    title_keys,
)
from cairn.insight.timeline_entries import (
    Item,
    Kind,
    decode_cursor,
    encode_cursor,
    render,
    text_of,
)
from cairn.insight.timeline_merge import Key, advance
from cairn.insight.timeline_system import SystemKinds
from cairn.meta.values import dump_time
from cairn.store import Catalog, TableSchema
from cairn.store.timeline import (
    Cursor,
    Walk,
    Window,
    alias,
    as_time,
    bounded_count,
    counted,
    one_way,
    page_of,
    page_params,
    reach,
    reached_counts,
    reaches,
    statement,
)
from cairn.store.timeline import (
    customer as customer_id,
)

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
#: Kind counts stop here ("99+"): a page never counts 100,000 rows.
COUNT_CAP = 99
#: Kinds whose count is the rows an unfiltered first page read, when it read them all.
COUNTED_BY_READ = ("comment", "process", "message", "interaction")


class Timeline:
    """The timeline of one customer record as ``guard``'s principal may see it."""

    def __init__(
        self,
        conn: sa.Connection,
        catalog: Catalog,
        guard: Guard,
        customer: TableSchema,
        record_id: int,
        config: dict[str, Any],
        timezone: Any,
    ) -> None:
        self.conn = conn
        self.cat = catalog
        self.g = guard
        self.customer = customer
        self.record_id = record_id
        self.config = config
        self.tz = timezone
        self.sources = [s for s in resolve(catalog, customer, config) if self._sees(s)]
        self.limit = DEFAULT_LIMIT
        #: Per source: how many records it reaches (counted up to ``COUNT_CAP``) and whether
        #: there are more (then its pages walk its date index, see ``_reached``).
        self._sizes: dict[int, tuple[int, bool]] = {}
        self._by_kind = {s.kind: s for s in self.sources}
        #: kind → rows an unfiltered first page read, when that is all of them.
        self._complete: dict[str, int] = {}
        self._keys: dict[int, Hashable | None] = {}
        self.params = {"tl_customer": record_id}
        system = SystemKinds(
            conn,
            guard,
            customer,
            record_id,
            config,
            self._subjects(),
            self._about,
            catalog,
            self._subject_keys,
        )
        self._kinds = [
            Kind(
                s.kind,
                s.label or s.target.table.name,
                lambda w, s=s: self._read_source(s, w),
                lambda s=s: self._count_source(s),
            )
            for s in self.sources
        ] + system.kinds()

    # -- permissions ---------------------------------------------------------------------
    def _sees(self, s: Source) -> bool:
        for schema in s.tables:
            if not self.g.access(schema).can("read"):
                return False
        for schema, rel in zip(s.tables, s.relations, strict=False):
            if rel.id in self.g.view(schema)[0]:
                return False
        return s.date_field is None or s.date_field.id not in self.g.view(s.target)[0]

    def _row_where(self, schema: TableSchema, alias: Any) -> sa.ColumnElement[bool] | None:
        return self.g.row_where(schema, "read", alias)

    def _key(self, s: Source) -> Hashable | None:
        """What the statements of a source are cached by (``store.timeline.statement``):
        its path, date and title columns. None (never cached) when the reader has a row scope
        on a table of its path: a scope may hold the reader's own values (its user, today)."""
        if s.index not in self._keys:
            scoped = any(self._row_where(t, t.sa_table) is not None for t in s.tables[1:])
            self._keys[s.index] = (
                None
                if scoped
                else (
                    s.target.id,
                    tuple(t.id for t in s.tables),
                    tuple(r.id for r in s.relations),
                    s.date_column,
                    tuple(title_keys(s.title)),
                )
            )
        return self._keys[s.index]

    def _reach(self, s: Source) -> sa.Select[Any]:
        return reach(self.cat, s.tables, s.relations, self.record_id, self._row_where)

    def _reached(self, s: Source) -> tuple[int, bool]:
        """(records the source reaches, counted up to ``COUNT_CAP``; whether there are more).
        A few reached records are read and sorted; more are found by walking the source's
        (date, id) index newest first and testing each entry's path back to the customer
        (``store.timeline.Walk``), which stops once the page is known."""
        if s.index not in self._sizes:  # every source's at once: one query
            keys = [self._key(x) for x in self.sources]
            key = None if None in keys else ("counts", COUNT_CAP, tuple(keys))
            q = statement(
                self.cat,
                key,
                lambda: reached_counts(
                    [(self._reach(x), one_way(self.cat, x.relations)) for x in self.sources],
                    COUNT_CAP,
                ),
            )
            counts = counted(self.conn, q, self.params, COUNT_CAP) if q is not None else []
            self._sizes.update(zip([x.index for x in self.sources], counts, strict=True))
        return self._sizes[s.index]

    def _source_rows(self, s: Source, alias: Any = None) -> tuple[Any, list[Any]]:
        """The target table (or ``alias``) and the conditions that a row is one of the
        source's records for this customer: tested per row when it reaches many, else as a
        semi-join."""
        t = s.target.sa_table if alias is None else alias
        belongs = (
            reaches(self.cat, s.tables, s.relations, self.record_id, self._row_where, t.c.id)
            if self._reached(s)[1]
            else t.c.id.in_(self._reach(s))
        )
        where = [belongs, t.c.deleted_at.is_(None)]
        scope = self._row_where(s.target, t)
        if scope is not None:
            where.append(scope)
        return t, where

    # -- records the comments and changes are about ----------------------------------------
    def _subjects(self) -> list[tuple[TableSchema, Any]]:
        """(table, source or None) of the customer and of each visible source's table."""
        out: list[tuple[TableSchema, Any]] = [(self.customer, None)]
        seen = {self.customer.id}
        for s in self.sources:
            if s.target.id in seen:
                continue
            seen.add(s.target.id)
            out.append((s.target, s))
        return out

    def _subject_keys(self) -> list[Hashable | None]:
        """Per subject (``_subjects``), what the statements about it are cached by."""
        out: list[Hashable | None] = []
        for schema, s in self._subjects():
            if s is None:
                out.append(("customer", schema.id))
            else:
                key = self._key(s)
                out.append(None if key is None else (key, self._reached(s)[1]))
        return out

    def _about(self, col_table: Any, col_record: Any, schema: TableSchema, s: Any) -> list[Any]:
        if s is None:
            return [col_table == schema.id, col_record == customer_id(self.record_id)]
        t, where = self._source_rows(s, alias(schema.sa_table, "tl_about"))
        if self._reached(s)[1]:  # many records: tested per row (correlated)
            return [
                col_table == schema.id,
                sa.exists(sa.select(sa.literal(1)).where(t.c.id == col_record, *where)),
            ]
        return [col_table == schema.id, col_record.in_(sa.select(t.c.id).where(*where))]

    # -- the page ------------------------------------------------------------------------
    def kinds(self) -> list[Kind]:
        return list(self._kinds)

    def page(
        self,
        limit: int = DEFAULT_LIMIT,
        before: str | None = None,
        kinds: list[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> dict[str, Any]:
        """``{entries, next, kinds}``: one page, newest first; ``next`` continues after it."""
        cursor = decode_cursor(before) if before else None
        self.limit = limit
        chosen = self._kinds
        if kinds:
            known = {k.kind for k in self._kinds}
            for i, k in enumerate(kinds):
                if k not in known:
                    raise Invalid.on(f"kinds.{i}", "timeline.kind", kind=k)
            chosen = [k for k in self._kinds if k.kind in kinds]
        found: list[Item] = []
        walks: list[tuple[str, Walk]] = []
        self._complete = {}
        whole = cursor is None and start is None and end is None
        for k in chosen:
            w = Window(k.kind, limit, cursor, start, end)
            src = self._by_kind.get(k.kind)
            walk = self._walk(src, w) if src is not None else None
            if walk is not None:
                walks.append((k.kind, walk))
                continue
            got = k.read(w)
            if whole and k.kind in COUNTED_BY_READ and len(got) <= limit:
                self._complete[k.kind] = len(got)
            found.extend(got)
        found.extend(self._walked(walks, limit + 1, found))
        found.sort(key=lambda e: e.key, reverse=True)
        more = len(found) > limit
        entries = found[:limit]
        nxt = None
        if more and entries:
            last = entries[-1]
            nxt = encode_cursor(Cursor(last.at, last.kind, last.id))
        listed = []
        for k in self._kinds:
            count, many = (None, False)
            if cursor is None:
                if k.kind in self._complete:
                    n = self._complete[k.kind]
                    count, many = min(n, COUNT_CAP), n > COUNT_CAP
                else:
                    q = k.count()
                    if isinstance(q, tuple):
                        count, many = q
                    elif q is not None:
                        count, many = bounded_count(self.conn, q, COUNT_CAP)
            listed.append({"kind": k.kind, "label": k.label, "count": count, "more": many})
        return {"entries": [self._dump(e) for e in entries], "next": nxt, "kinds": listed}

    def _walked(self, walks: list[tuple[str, Walk]], need: int, found: list[Item]) -> list[Item]:
        """The page's entries of the walked sources (``timeline_merge.advance``), their rows
        read once the page is known; a source the walk finds sparse is read at once."""
        sparse: dict[str, list[Item]] = {}

        def read_sparse(kind: str, walk: Walk) -> list[Key]:
            sparse[kind] = self._read_source(self._by_kind[kind], walk.w)
            return [e.key for e in sparse[kind]]

        ids = advance(walks, need, [e.key for e in found], read_sparse)
        out = [e for items in sparse.values() for e in items]
        for kind, walk in walks:
            if ids.get(kind):
                s = self._by_kind[kind]
                out += self._source_items(s, walk.rows(ids[kind]))
        return out

    def _dump(self, e: Item) -> dict[str, Any]:
        return {
            "kind": e.kind,
            "id": e.id,
            "at": dump_time(e.at, self.tz),
            "title": e.title,
            "table": e.table,
            "record_id": e.record_id,
            "actor": e.actor,
            "detail": e.detail,
        }

    # -- sources ---------------------------------------------------------------------------
    def _title(self, s: Source, row: Any) -> str:
        keys = title_keys(s.title)
        hidden, masked = self.g.view(s.target)
        fallback = f"{s.target.table.name} #{row.id}"
        if not keys and not s.title:
            return fallback
        values: dict[str, str] = {}
        for key in keys:
            if key in SYSTEM_TITLE_KEYS:
                v = row._mapping[f"tl_{key}"]
                values[key] = dump_time(v, self.tz) if isinstance(v, datetime) else text_of(v)
                continue
            f = s.target.by_key.get(key)
            if f is None or f.id in hidden or f.id in masked:
                return fallback
            dump = s.target.dumpers.get(f.id)
            v = row._mapping[f"tl_f{f.id}"]
            values[key] = text_of(dump(v) if dump is not None and v is not None else v)
        return render(s.title, values) or fallback

    def _source_columns(self, s: Source) -> list[Any]:
        t = s.target.sa_table
        cols: list[Any] = [t.c.id, t.c[s.date_column].label("tl_at"), t.c.created_by]
        for key in title_keys(s.title):
            if key in SYSTEM_TITLE_KEYS:
                cols.append(t.c[key].label(f"tl_{key}"))
            elif (f := s.target.by_key.get(key)) is not None and s.target.types[f.id].stored:
                cols.append(t.c[f.column_name].label(f"tl_f{f.id}"))
        return cols

    def _is_date(self, s: Source) -> bool:
        return s.date_field is not None and s.target.types[s.date_field.id].value_type == "date"

    def _walk(self, s: Source, w: Window) -> Walk | None:
        """The walk of a source's date index when it reaches many records, else None."""
        if not self._reached(s)[1]:
            return None
        t = s.target.sa_table
        scope = self._row_where(s.target, t)
        return Walk(
            self.conn,
            t,
            lambda: self._source_columns(s),
            t.c[s.date_column],
            [] if scope is None else [scope],
            lambda col: reaches(
                self.cat, s.tables, s.relations, self.record_id, self._row_where, col
            ),
            w,
            is_date=self._is_date(s),
            catalog=self.cat,
            key=self._key(s),
            params=self.params,
        )

    def _read_source(self, s: Source, w: Window) -> list[Item]:
        """A page of a source read at once: its records for this customer, sorted."""
        is_date = self._is_date(s)
        shape, values = page_params(w, is_date=is_date)
        key = self._key(s)
        many = self._reached(s)[1]

        def build() -> sa.Select[Any]:
            t, where = self._source_rows(s)
            q = sa.select(*self._source_columns(s)).where(*where)
            return page_of(q, t.c[s.date_column], t.c.id, w, is_date=is_date)

        q = statement(self.cat, None if key is None else (key, "read", many, shape), build)
        return self._source_items(s, self.conn.execute(q, {**self.params, **values}))

    def _source_items(self, s: Source, rows: Any) -> list[Item]:
        return [
            Item(
                as_time(r.tl_at),
                s.kind,
                r.id,
                self._title(s, r),
                s.target.table.key,
                r.id,
                r.created_by,
                None,
            )
            for r in rows
        ]

    def _count_source(self, s: Source) -> tuple[int, bool]:
        n, many = self._reached(s)
        return min(n, COUNT_CAP), many or n > COUNT_CAP


def source_indexes(sources: list[Source]) -> list[tuple[int, str]]:
    """The indexes the sources' pages use, as ``(table id, date column or "id")``
    (``store.timeline.ensure_indexes``): each source's (date, id) index that its pages walk,
    and the live ids of every table on its path that a walked entry's probe back to the
    customer tests (the customer's own table: its record is known live)."""
    out = [(s.target.id, s.date_column) for s in sources]
    out += [(t.id, "id") for s in sources for t in s.tables[1:]]
    return list(dict.fromkeys(out))


__all__ = [
    "COUNT_CAP",
    "MAX_LIMIT",
    "SYSTEM_DATES",
    "Item",
    "Kind",
    "Timeline",
    "decode_cursor",
    "encode_cursor",
    "source_indexes",
]
