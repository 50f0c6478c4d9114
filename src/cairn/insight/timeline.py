"""The customer timeline: everything about one customer in time order.

Kinds: each configured source (``source:<i>``: the records a relation path of up to three hops
reaches), ``comment`` (on the customer and on source records), ``change`` (notable field
changes of the customer and of source records, from the history), ``process`` (the steps of
processes on the customer record), ``message`` (deliveries about the customer record) and
``interaction``. Entries come newest first, ties by (kind, id) descending; a page reads each
kind with one query (``store.timeline``: ordered by its date, ``LIMIT limit + 1`` past the
cursor) and merges them here, so a customer with 100,000 entries costs what one with 100 does.

Permissions: a source shows only when the reader may read every table on its path and see
every relation field it follows; its rows are those in the reader's row scope on every hop.
A title names only fields the reader sees unmasked, else it is ``<table name> #<id>``.
Comments and changes of a source's records show only with the source; changes of hidden fields
never show; kinds the reader cannot see are not listed.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.auth import masking
from cairn.auth.guard import Guard
from cairn.core import Invalid
from cairn.insight.timeline_config import (
    PLACEHOLDER,
    SYSTEM_DATES,
    SYSTEM_TITLE_KEYS,
    Source,
    resolve,
    title_keys,
)
from cairn.meta.values import dump_time
from cairn.store import Catalog, TableSchema, system
from cairn.store.tables.interactions import interactions
from cairn.store.timeline import (
    Cursor,
    Walk,
    Window,
    as_time,
    bounded_count,
    page_of,
    reach,
    reached_count,
    reaches,
)

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
#: Kind counts stop here ("99+"): a page never counts 100,000 rows.
COUNT_CAP = 99
#: The history rows read per batch when looking for notable changes, and the batches at most.
HISTORY_BATCH = 200
HISTORY_BATCHES = 10
#: Kinds whose count is the rows an unfiltered first page read, when it read them all.
COUNTED_BY_READ = ("comment", "process", "message", "interaction")
SYSTEM_KIND = {
    "comments": "comment",
    "changes": "change",
    "process": "process",
    "messages": "message",
    "interactions": "interaction",
}


@dataclass
class Item:
    at: datetime
    kind: str
    id: int
    title: str
    table: str | None
    record_id: int | None
    actor: int | None
    detail: dict[str, Any] | None

    @property
    def key(self) -> tuple[datetime, str, int]:
        return (self.at, self.kind, self.id)


@dataclass
class Kind:
    kind: str
    label: str
    #: One page of entries of this kind in the window (at most ``limit + 1``).
    read: Callable[[Window], list[Item]]
    #: The query whose rows count the kind (bounded), a count already made, or None.
    count: Callable[[], sa.Select[Any] | tuple[int, bool] | None]


def encode_cursor(c: Cursor) -> str:
    raw = json.dumps([c.at.isoformat(), c.kind, c.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str) -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        at, kind, id_ = json.loads(raw)
        if not isinstance(kind, str) or not isinstance(id_, int) or isinstance(id_, bool):
            raise ValueError
        return Cursor(datetime.fromisoformat(at).replace(tzinfo=None), kind, id_)
    except (ValueError, TypeError, UnicodeDecodeError):
        raise Invalid.on("before", "timeline.cursor") from None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return str(value.get("name") or value.get("label") or value.get("id") or "")
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return str(value)


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
        #: Per source: how many records it reaches (counted up to its walk threshold) and
        #: whether that many are read by walking its date index (see ``_reached``).
        self._sizes: dict[int, tuple[int, bool]] = {}
        self._comments: list[tuple[TableSchema, sa.Select[Any]]] | None = None
        self._by_kind = {s.kind: s for s in self.sources}
        self._complete: dict[str, int] = {}
        self._kinds = self._build_kinds()

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

    def _reach(self, s: Source) -> sa.Select[Any]:
        return reach(self.cat, s.tables, s.relations, self.record_id, self._row_where)

    def _reached(self, s: Source) -> tuple[int, bool]:
        """(records the source reaches, counted up to ``COUNT_CAP``; whether there are more).
        A few reached records are read and sorted; more are found by walking the source's
        (date, id) index newest first and testing each entry's path back to the customer
        (``store.timeline.walk_page``), which stops after a page."""
        got = self._sizes.get(s.index)
        if got is None:
            got = self._sizes[s.index] = reached_count(self.conn, self._reach(s), COUNT_CAP)
        return got

    def _source_rows(
        self, s: Source, alias: Any = None, walk: bool | None = None
    ) -> tuple[Any, list[sa.ColumnElement[bool]]]:
        """The target table (or ``alias``) and the conditions that a row is one of the
        source's records for this customer: tested per row (``walk``) or as a semi-join."""
        t = s.target.sa_table if alias is None else alias
        many = self._reached(s)[1] if walk is None else walk
        belongs = (
            reaches(self.cat, s.tables, s.relations, self.record_id, self._row_where, t.c.id)
            if many
            else t.c.id.in_(self._reach(s))
        )
        where = [belongs, t.c.deleted_at.is_(None)]
        scope = self._row_where(s.target, t)
        if scope is not None:
            where.append(scope)
        return t, where

    # -- kinds ---------------------------------------------------------------------------
    def _build_kinds(self) -> list[Kind]:
        kinds = [
            Kind(
                s.kind,
                s.label or s.target.table.name,
                lambda w, s=s: self._read_source(s, w),
                lambda s=s: self._count_source(s),
            )
            for s in self.sources
        ]
        system_kinds = self.config.get("system", [])
        readers = {
            "comments": (self._read_comments, self._count_comments),
            "changes": (self._read_changes, lambda: None),
            "process": (self._read_process, self._count_process),
            "messages": (self._read_messages, self._count_messages),
            "interactions": (self._read_interactions, self._count_interactions),
        }
        for key in system_kinds:
            if key == "changes" and not self._notable():
                continue
            read, count = readers[key]
            kinds.append(Kind(SYSTEM_KIND[key], SYSTEM_KIND[key], read, count))
        return kinds

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
        walks: list[tuple[Source, Walk]] = []
        #: kind → rows read, when that is all of them (the read was not cut by its limit).
        self._complete = {}
        whole = cursor is None and start is None and end is None
        for k in chosen:
            w = Window(k.kind, limit, cursor, start, end)
            src = self._by_kind.get(k.kind)
            walk = self._walk(src, w) if src is not None else None
            if walk is not None and src is not None:
                walks.append((src, walk))
                continue
            got = k.read(w)
            if whole and k.kind in COUNTED_BY_READ and len(got) <= limit:
                self._complete[k.kind] = len(got)
            found.extend(got)
        found.extend(self._advance(walks, limit + 1, found))
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

    def _advance(
        self, walks: list[tuple[Source, Walk]], need: int, found: list[Item]
    ) -> list[Item]:
        """The entries of the walked sources a page needs: the walks step together, always
        the one whose frontier is the newest, until ``need`` entries are newer than every
        unfinished walk's frontier (those and the others read are the page) or all are done.
        A walk that finds its source sparse reads it at once instead."""
        items: dict[str, list[Item]] = {src.kind: [] for src, _ in walks}
        known = sorted((e.key for e in found), reverse=True)
        while True:
            active = [(src, wk) for src, wk in walks if not wk.done]
            if not active:
                break
            top_src, top = max(active, key=lambda p: _newest_first(p[0].kind, p[1]))
            edge = _frontier(top_src.kind, top)
            if edge is not None:
                newer = sum(1 for k in known if k > edge)
                newer += sum(1 for its in items.values() for e in its if e.key > edge)
                if newer >= need:
                    break
            top.step()
            if top.sparse:
                items[top_src.kind] = self._read_source(top_src, top.w)
            else:
                items[top_src.kind] = self._source_items(top_src, top.rows)
        return [e for its in items.values() for e in its]

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
                values[key] = dump_time(v, self.tz) if isinstance(v, datetime) else _text(v)
                continue
            f = s.target.by_key.get(key)
            if f is None or f.id in hidden or f.id in masked:
                return fallback
            dump = s.target.dumpers.get(f.id)
            v = row._mapping[f"tl_f{f.id}"]
            values[key] = _text(dump(v) if dump is not None and v is not None else v)
        return _render(s.title, values) or fallback

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
        where = [t.c.deleted_at.is_(None)]
        scope = self._row_where(s.target, t)
        if scope is not None:
            where.append(scope)
        return Walk(
            self.conn,
            t,
            self._source_columns(s),
            t.c[s.date_column],
            where,
            w,
            is_date=self._is_date(s),
            belongs=lambda col: reaches(
                self.cat, s.tables, s.relations, self.record_id, self._row_where, col
            ),
        )

    def _read_source(self, s: Source, w: Window) -> list[Item]:
        """A page of a source read at once: its records for this customer, sorted."""
        t = s.target.sa_table
        _, where = self._source_rows(s, walk=False)
        q = sa.select(*self._source_columns(s)).where(*where)
        q = page_of(q, t.c[s.date_column], t.c.id, w, is_date=self._is_date(s))
        return self._source_items(s, self.conn.execute(q))

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

    # -- records the comments and changes are about ----------------------------------------
    def _subjects(self) -> list[tuple[TableSchema, Any]]:
        """(table, condition on a ``record_id`` column) of the customer and of each visible
        source's records."""
        out: list[tuple[TableSchema, Any]] = [(self.customer, None)]
        seen = {self.customer.id}
        for s in self.sources:
            if s.target.id in seen:
                continue
            seen.add(s.target.id)
            out.append((s.target, s))
        return out

    def _about(self, col_table: Any, col_record: Any, schema: TableSchema, s: Any) -> list[Any]:
        if s is None:
            return [col_table == schema.id, col_record == self.record_id]
        t, where = self._source_rows(s, schema.sa_table.alias("tl_about"))
        if self._reached(s)[1]:  # many records: tested per row (correlated)
            return [
                col_table == schema.id,
                sa.exists(sa.select(sa.literal(1)).where(t.c.id == col_record, *where)),
            ]
        return [col_table == schema.id, col_record.in_(sa.select(t.c.id).where(*where))]

    # -- comments --------------------------------------------------------------------------
    def _comment_queries(self) -> list[tuple[TableSchema, sa.Select[Any]]]:
        if self._comments is None:
            self._comments = self._build_comment_queries()
        return self._comments

    def _build_comment_queries(self) -> list[tuple[TableSchema, sa.Select[Any]]]:
        c = system.record_comments
        return [
            (
                schema,
                sa.select(c.c.id, c.c.record_id, c.c.author_id, c.c.body, c.c.created_at).where(
                    *self._about(c.c.table_id, c.c.record_id, schema, s), c.c.deleted_at.is_(None)
                ),
            )
            for schema, s in self._subjects()
        ]

    def _read_comments(self, w: Window) -> list[Item]:
        c = system.record_comments
        out = []
        for schema, q in self._comment_queries():
            for r in self.conn.execute(page_of(q, c.c.created_at, c.c.id, w)):
                out.append(
                    Item(
                        r.created_at,
                        "comment",
                        r.id,
                        _clip(r.body),
                        schema.table.key,
                        r.record_id,
                        r.author_id,
                        {"body": r.body},
                    )
                )
        return out

    def _count_comments(self) -> sa.Select[Any] | None:
        queries = [q for _, q in self._comment_queries()]
        return sa.union_all(*queries).subquery().select() if len(queries) > 1 else queries[0]

    # -- notable changes -------------------------------------------------------------------
    def _notable(self) -> dict[int, tuple[TableSchema, Any, dict[int, Any]]]:
        """table id → (schema, source or None, {notable field id: field}) of the visible,
        unhidden notable fields."""
        out: dict[int, tuple[TableSchema, Any, dict[int, Any]]] = {}
        config = self.config.get("notable_fields", {})
        for schema, s in self._subjects():
            keys = config.get(schema.table.key, [])
            hidden = self.g.view(schema)[0]
            fields = {
                f.id: f
                for k in keys
                if (f := schema.by_key.get(k)) is not None and f.id not in hidden
            }
            if fields:
                out[schema.id] = (schema, s, fields)
        return out

    def _read_changes(self, w: Window) -> list[Item]:
        h = system.history
        out: list[Item] = []
        for schema, s, fields in self._notable().values():
            masked = self.g.view(schema)[1]
            base = sa.select(h.c.id, h.c.record_id, h.c.changes, h.c.actor_id, h.c.at).where(
                *self._about(h.c.table_id, h.c.record_id, schema, s),
                h.c.action != "create",
            )
            cursor = w.cursor
            found: list[Item] = []
            # History rows changing no notable field are skipped: read in batches until a
            # page is found (or the batches run out: the next page goes on from there).
            for _ in range(HISTORY_BATCHES):
                bw = Window(w.kind, HISTORY_BATCH - 1, cursor, w.start, w.end)
                rows = list(self.conn.execute(page_of(base, h.c.at, h.c.id, bw)))
                for r in rows:
                    changes = []
                    for fid, pair in (r.changes or {}).items():
                        f = fields.get(int(fid))
                        if f is None or not isinstance(pair, list) or len(pair) != 2:
                            continue
                        before, after = pair
                        if f.id in masked:
                            before, after = masking.mask(before), masking.mask(after)
                        changes.append(
                            {"field": f.key, "name": f.name, "before": before, "after": after}
                        )
                    if changes:
                        title = ", ".join(c["name"] for c in changes)
                        found.append(
                            Item(
                                r.at,
                                "change",
                                r.id,
                                title,
                                schema.table.key,
                                r.record_id,
                                r.actor_id,
                                {"changes": changes},
                            )
                        )
                if len(found) > w.limit or len(rows) < HISTORY_BATCH:
                    break
                last = rows[-1]
                cursor = Cursor(last.at, "change", last.id)
            out.extend(found)
        return out

    # -- process steps -----------------------------------------------------------------------
    def _process_query(self) -> sa.Select[Any]:
        e, i = system.process_events, system.process_instances
        return (
            sa.select(e.c.id, e.c.at, e.c.step_name, e.c.action, e.c.comment, e.c.actor_id)
            .select_from(e.join(i, e.c.instance_id == i.c.id))
            .where(i.c.table_id == self.customer.id, i.c.record_id == self.record_id)
        )

    def _read_process(self, w: Window) -> list[Item]:
        e = system.process_events
        q = page_of(self._process_query(), e.c.at, e.c.id, w)
        return [
            Item(
                r.at,
                "process",
                r.id,
                r.step_name or r.action,
                self.customer.table.key,
                self.record_id,
                r.actor_id,
                {"action": r.action, "step": r.step_name, "comment": r.comment},
            )
            for r in self.conn.execute(q)
        ]

    def _count_process(self) -> sa.Select[Any]:
        return self._process_query()

    # -- messages sent -------------------------------------------------------------------
    def _messages_query(self) -> sa.Select[Any]:
        d = system.deliveries
        return sa.select(
            d.c.id, d.c.created_at, d.c.subject, d.c.channel, d.c.kind, d.c.status, d.c.recipient
        ).where(d.c.table_id == self.customer.id, d.c.record_id == self.record_id)

    def _read_messages(self, w: Window) -> list[Item]:
        d = system.deliveries
        q = page_of(self._messages_query(), d.c.created_at, d.c.id, w)
        return [
            Item(
                r.created_at,
                "message",
                r.id,
                r.subject or r.channel,
                self.customer.table.key,
                self.record_id,
                None,
                {"channel": r.channel, "kind": r.kind, "status": r.status},
            )
            for r in self.conn.execute(q)
        ]

    def _count_messages(self) -> sa.Select[Any]:
        return self._messages_query()

    # -- interactions ----------------------------------------------------------------------
    def _interactions_query(self) -> sa.Select[Any]:
        x = interactions
        return sa.select(
            x.c.id,
            x.c.occurred_at,
            x.c.kind,
            x.c.direction,
            x.c.subject,
            x.c.source,
            x.c.actor_id,
            x.c.duration_seconds,
        ).where(
            x.c.table_id == self.customer.id,
            x.c.record_id == self.record_id,
            x.c.deleted_at.is_(None),
        )

    def _read_interactions(self, w: Window) -> list[Item]:
        x = interactions
        q = page_of(self._interactions_query(), x.c.occurred_at, x.c.id, w)
        return [
            Item(
                r.occurred_at,
                "interaction",
                r.id,
                r.subject or r.kind,
                self.customer.table.key,
                self.record_id,
                r.actor_id,
                {
                    "kind": r.kind,
                    "direction": r.direction,
                    "source": r.source,
                    "duration_seconds": r.duration_seconds,
                },
            )
            for r in self.conn.execute(q)
        ]

    def _count_interactions(self) -> sa.Select[Any]:
        return self._interactions_query()


def _frontier(kind: str, walk: Walk) -> tuple[datetime, str, int] | None:
    """Where a walk stands in the timeline's order: None (nothing read yet) is newest."""
    if walk.frontier is None:
        return None
    return (walk.frontier[0], kind, walk.frontier[1])


def _newest_first(kind: str, walk: Walk) -> tuple[Any, ...]:
    f = _frontier(kind, walk)
    return (1,) if f is None else (0, f)


def _clip(text: str, n: int = 120) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _render(template: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1).strip(), ""), template).strip()


def source_indexes(sources: list[Source]) -> list[tuple[int, str]]:
    """The indexes the sources' pages use, as ``(table id, date column or "id")``
    (``store.timeline.ensure_indexes``): each source's (date, id) index that its pages walk,
    and the live ids of every table on its path that a walked entry's probe back to the
    customer tests (the customer's own table: its record is known live)."""
    out = [(s.target.id, s.date_column) for s in sources]
    out += [(t.id, "id") for s in sources for t in s.tables[1:]]
    return list(dict.fromkeys(out))


__all__ = ["SYSTEM_DATES", "Timeline", "decode_cursor", "encode_cursor", "source_indexes"]
