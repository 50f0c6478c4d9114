"""The system kinds of a customer timeline (``cairn.insight.timeline``): comments on the
customer and on its sources' records, notable field changes (from the history), and the
records' logs kept by Cairn about the customer record itself: process steps, messages sent
and interactions, each read by one query ordered by its date past the cursor."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cairn.auth import masking
from cairn.auth.guard import Guard
from cairn.insight.timeline_entries import Item, Kind, clip
from cairn.store import TableSchema, system
from cairn.store.tables.interactions import interactions
from cairn.store.timeline import Cursor, Window, customer, page_of, page_params, statement

#: The history rows read per batch when looking for notable changes, and the batches at most.
HISTORY_BATCH = 200
HISTORY_BATCHES = 10
SYSTEM_KIND = {
    "comments": "comment",
    "changes": "change",
    "process": "process",
    "messages": "message",
    "interactions": "interaction",
}
#: ``(history or comments table_id column, record_id column, schema, source or None)`` →
#: the conditions that a row is about the customer or one of the source's records.
About = Callable[[Any, Any, TableSchema, Any], list[Any]]


@dataclass(frozen=True)
class Log:
    """A log Cairn keeps about records (``table_id``, ``record_id``): its rows about the
    customer record as entries of one kind."""

    kind: str
    #: (table id, record id) → the query of the record's rows (selecting ``at`` and ``id``).
    query: Callable[[int, int], sa.Select[Any]]
    at: Any
    id: Any
    #: a row → (title, actor, detail).
    item: Callable[[Any], tuple[str, int | None, dict[str, Any]]]


def _process_query(table_id: int, record_id: int) -> sa.Select[Any]:
    e, i = system.process_events, system.process_instances
    return (
        sa.select(e.c.id, e.c.at, e.c.step_name, e.c.action, e.c.comment, e.c.actor_id)
        .select_from(e.join(i, e.c.instance_id == i.c.id))
        .where(i.c.table_id == table_id, i.c.record_id == customer(record_id))
    )


def _messages_query(table_id: int, record_id: int) -> sa.Select[Any]:
    d = system.deliveries
    return sa.select(
        d.c.id, d.c.created_at, d.c.subject, d.c.channel, d.c.kind, d.c.status, d.c.recipient
    ).where(d.c.table_id == table_id, d.c.record_id == customer(record_id))


def _interactions_query(table_id: int, record_id: int) -> sa.Select[Any]:
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
        x.c.table_id == table_id,
        x.c.record_id == customer(record_id),
        x.c.deleted_at.is_(None),
    )


LOGS = {
    "process": Log(
        "process",
        _process_query,
        system.process_events.c.at,
        system.process_events.c.id,
        lambda r: (
            r.step_name or r.action,
            r.actor_id,
            {"action": r.action, "step": r.step_name, "comment": r.comment},
        ),
    ),
    "messages": Log(
        "message",
        _messages_query,
        system.deliveries.c.created_at,
        system.deliveries.c.id,
        lambda r: (
            r.subject or r.channel,
            None,
            {"channel": r.channel, "kind": r.kind, "status": r.status},
        ),
    ),
    "interactions": Log(
        "interaction",
        _interactions_query,
        interactions.c.occurred_at,
        interactions.c.id,
        lambda r: (
            r.subject or r.kind,
            r.actor_id,
            {
                "kind": r.kind,
                "direction": r.direction,
                "source": r.source,
                "duration_seconds": r.duration_seconds,
            },
        ),
    ),
}


class SystemKinds:
    """The configured system kinds of one customer's timeline as the guard's principal may
    see them. ``subjects``: (table, source or None) of the customer and of each visible
    source's table: the records comments and changes are about (``about``)."""

    def __init__(
        self,
        conn: sa.Connection,
        guard: Guard,
        customer: TableSchema,
        record_id: int,
        config: dict[str, Any],
        subjects: list[tuple[TableSchema, Any]],
        about: About,
        catalog: Any = None,
        keys: Callable[[], list[Hashable | None]] | None = None,
    ) -> None:
        """``keys``: per subject, what its statements are cached by in ``catalog``'s snapshot
        (``store.timeline.statement``; None: never cached)."""
        self.conn = conn
        self.g = guard
        self.customer = customer
        self.record_id = record_id
        self.config = config
        self.subjects = subjects
        self.about = about
        self.catalog = catalog
        self._keys = keys if catalog is not None else None
        self.params = {"tl_customer": record_id}
        self._comments: list[tuple[TableSchema, sa.Select[Any]]] | None = None

    @property
    def keys(self) -> list[Hashable | None]:
        return [None] * len(self.subjects) if self._keys is None else self._keys()

    def kinds(self) -> list[Kind]:
        out = []
        for key in self.config.get("system", []):
            kind = SYSTEM_KIND[key]
            if key == "comments":
                out.append(Kind(kind, kind, self.read_comments, self.count_comments))
            elif key == "changes":
                if self.notable():
                    out.append(Kind(kind, kind, self.read_changes, lambda: None))
            else:
                log = LOGS[key]
                out.append(
                    Kind(
                        kind,
                        kind,
                        lambda w, log=log: self.read_log(log, w),
                        lambda log=log: log.query(self.customer.id, self.record_id),
                    )
                )
        return out

    # -- logs about the customer record ------------------------------------------------------
    def read_log(self, log: Log, w: Window) -> list[Item]:
        shape, values = page_params(w)
        cid = self.customer.id
        q = statement(
            self.catalog,
            ("log", log.kind, cid, shape) if self.catalog is not None else None,
            lambda: page_of(log.query(cid, self.record_id), log.at, log.id, w),
        )
        out = []
        for r in self.conn.execute(q, {**self.params, **values}):
            title, actor, detail = log.item(r)
            at = r._mapping[log.at]
            out.append(
                Item(
                    at,
                    log.kind,
                    r.id,
                    title,
                    self.customer.table.key,
                    self.record_id,
                    actor,
                    detail,
                )
            )
        return out

    # -- comments --------------------------------------------------------------------------
    def _comment_queries(self) -> list[tuple[TableSchema, sa.Select[Any]]]:
        if self._comments is None:
            c = system.record_comments
            self._comments = [
                (
                    schema,
                    sa.select(c.c.id, c.c.record_id, c.c.author_id, c.c.body, c.c.created_at).where(
                        *self.about(c.c.table_id, c.c.record_id, schema, s),
                        c.c.deleted_at.is_(None),
                    ),
                )
                for schema, s in self.subjects
            ]
        return self._comments

    def read_comments(self, w: Window) -> list[Item]:
        """One query: the comments about each subject, newest first, merged."""
        c = system.record_comments
        schemas = {schema.id: schema for schema, _ in self.subjects}
        shape, values = page_params(w)

        def build() -> sa.Select[Any]:
            queries = [q.add_columns(c.c.table_id) for _, q in self._comment_queries()]
            if len(queries) == 1:
                return page_of(queries[0], c.c.created_at, c.c.id, w)
            u = sa.union_all(*queries).subquery("tl_comments")
            return page_of(sa.select(u), u.c.created_at, u.c.id, w)

        key = None if None in self.keys else ("comments", tuple(self.keys), shape)
        q = statement(self.catalog, key, build)
        return [
            Item(
                r.created_at,
                "comment",
                r.id,
                clip(r.body),
                schemas[r.table_id].table.key,
                r.record_id,
                r.author_id,
                {"body": r.body},
            )
            for r in self.conn.execute(q, {**self.params, **values})
        ]

    def count_comments(self) -> sa.Select[Any]:
        queries = [q for _, q in self._comment_queries()]
        return sa.union_all(*queries).subquery().select() if len(queries) > 1 else queries[0]

    # -- notable changes -------------------------------------------------------------------
    def notable(self) -> dict[int, tuple[TableSchema, Any, dict[int, Any]]]:
        """table id → (schema, source or None, {notable field id: field}) of the visible,
        unhidden notable fields."""
        out: dict[int, tuple[TableSchema, Any, dict[int, Any]]] = {}
        config = self.config.get("notable_fields", {})
        for schema, s in self.subjects:
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

    def read_changes(self, w: Window) -> list[Item]:
        h = system.history
        out: list[Item] = []
        keys = {schema.id: key for (schema, _), key in zip(self.subjects, self.keys, strict=True)}
        for schema, s, fields in self.notable().values():
            masked = self.g.view(schema)[1]
            key = keys[schema.id]

            def base(schema: TableSchema = schema, s: Any = s) -> sa.Select[Any]:
                return sa.select(h.c.id, h.c.record_id, h.c.changes, h.c.actor_id, h.c.at).where(
                    *self.about(h.c.table_id, h.c.record_id, schema, s),
                    h.c.action != "create",
                )

            cursor = w.cursor
            found: list[Item] = []
            # History rows changing no notable field are skipped: read in batches until a
            # page is found (or the batches run out: the next page goes on from there).
            for _ in range(HISTORY_BATCHES):
                bw = Window(w.kind, HISTORY_BATCH - 1, cursor, w.start, w.end)
                shape, values = page_params(bw)
                q = statement(
                    self.catalog,
                    None if key is None else ("changes", key, shape),
                    lambda bw=bw, base=base: page_of(base(), h.c.at, h.c.id, bw),
                )
                rows = list(self.conn.execute(q, {**self.params, **values}))
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
