"""Learning the indexes the queries need, building them in the background, dropping the unused.

``IndexAdvisor`` is told, per query, what an index would serve (``note``: fields a filter or
sort used, a report grouped by, a row-scoped page was sorted by; ``note_page``: the page's
shape, whose composite index ``store.index_shapes`` works out). On the query path that costs a
dictionary update under a lock: once a wanted index has been asked for ``after_uses`` times, a
job goes to this process's builder thread, which checks the table's size and the per-table cap
and builds it (``store.indexes.build_index``: ``CONCURRENTLY`` on PostgreSQL), never in the
request that asked. Every index built is registered (``store.auto_indexes``) with the shape that
asked for it.

A query whose index exists *touches* it: the day is remembered in memory and written to the
register at most once a day per index and process (by the builder thread). Once an hour (by the
clock, so a moved test clock counts) the builder sweeps: automatic indexes no query touched for
``unused_days`` days are dropped (``DROP INDEX CONCURRENTLY`` on PostgreSQL) and forgotten;
the worker runs the same sweep daily for idle instances (``cairn.worker.queue``).

The last ``RECENT`` shapes seen per table are kept in memory for the administrators' listing
(``store.index_report``): it says which index serves each, or why none does.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from cairn.core import Clock, SystemClock
from cairn.store import auto_indexes
from cairn.store.index_shapes import QueryShape, composite_index_name
from cairn.store.indexes import (
    KINDS,
    IndexPolicy,
    approximate_rows,
    automatic,
    build_index,
    drop_index,
    index_names,
    unique_index_name,
)

log = logging.getLogger(__name__)

#: How often a process looks for unused indexes (by its clock).
SWEEP_EVERY = timedelta(hours=1)
_TABLE_OF = re.compile(r"^ix_t(\d+)_")


@dataclass(frozen=True)
class Wanted:
    """An index a query would use."""

    table_id: int
    name: str
    kind: str
    columns: tuple[str, ...]
    #: Why (the register's ``shape``).
    shape: Mapping[str, Any]
    #: Indexes that make it unnecessary (a unique index on the field).
    alternatives: frozenset[str] = frozenset()


@dataclass
class SeenShape:
    shape: QueryShape
    count: int
    last_seen: datetime


def _field_wants(table_id: int, fields: Mapping[int, str], kind: str) -> list[Wanted]:
    """The single-field indexes of ``kind`` on ``fields`` (field id → column)."""
    namer, before, after = KINDS[kind]
    return [
        Wanted(
            table_id,
            namer(table_id, field_id),
            kind,
            (*before, column, *after),
            {"field": field_id},
            frozenset({unique_index_name(table_id, field_id)} if kind == "plain" else ()),
        )
        for field_id, column in fields.items()
    ]


def naive_utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC).replace(tzinfo=None) if dt.tzinfo else dt


class IndexAdvisor:
    RECENT = 20

    def __init__(
        self, engine: sa.Engine, policy: IndexPolicy | None = None, clock: Clock | None = None
    ) -> None:
        self.engine = engine
        self.policy = policy or IndexPolicy()
        self.clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._uses: dict[tuple[int, str], int] = {}
        self._due: dict[tuple[int, str], int] = {}
        #: Indexes known to exist, per schema version (a type change drops indexes).
        self._known: set[str] = set()
        self._version: int | None = None
        #: Index name -> the day this process last saw a query it serves; the ones not yet
        #: written to the register.
        self._touched: dict[str, date] = {}
        self._unflushed: set[str] = set()
        self._recent: dict[int, OrderedDict[str, SeenShape]] = {}
        self._next_sweep: datetime | None = None
        self._jobs: queue.Queue[Callable[[], Any] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._closed = False
        #: The kind a row-scoped sorted page wants: its owner tested from the sort's index
        #: (SQLite), or its rows read per owner (PostgreSQL).
        self.scoped_kind = "owner" if engine.dialect.name == "postgresql" else "scoped"

    # -- the query path ------------------------------------------------------------------------

    def note(
        self, version: int, table_id: int, fields: Mapping[int, str], kind: str = "plain"
    ) -> None:
        """``fields``: field id → column name of the fields a query filtered or sorted on
        (``kind`` plain), a report grouped by (``kind`` group), or a row-scoped page was
        sorted by first (``kind`` scoped / owner)."""
        self._count(version, _field_wants(table_id, fields, kind), self.clock.now())

    def note_page(
        self, version: int, table_id: int, used: Mapping[int, str], shape: QueryShape
    ) -> None:
        """A page query: its fields (plain indexes) and its shape (a composite index)."""
        now = self.clock.now()
        wanted = _field_wants(table_id, used, "plain")
        if not shape.empty:
            self._remember(table_id, shape, now)
            cols = shape.composite()
            if cols:
                name = composite_index_name(table_id, [c[0] for c in cols])
                columns = tuple(c[1] for c in cols)
                wanted.append(Wanted(table_id, name, "composite", columns, shape.as_json()))
        self._count(version, wanted, now)

    def _count(self, version: int, wanted: list[Wanted], now: datetime) -> None:
        due: list[tuple[Wanted, int]] = []
        today = now.date()
        flush = sweep = False
        with self._lock:
            if version != self._version:  # a type change or a drop may have removed indexes
                self._version = version
                self._known.clear()
                self._uses.clear()
                self._due.clear()
            for w in wanted:
                if w.name in self._known:
                    if self._touched.get(w.name) != today:
                        self._touched[w.name] = today
                        self._unflushed.add(w.name)
                        flush = True
                    continue
                key = (w.table_id, w.name)
                uses = self._uses.get(key, 0) + 1
                self._uses[key] = uses
                if uses >= self._due.get(key, self.policy.after_uses):
                    self._due[key] = uses + self.policy.recheck_every
                    due.append((w, uses))
            if self._next_sweep is None:
                self._next_sweep = now + SWEEP_EVERY
            elif now >= self._next_sweep:
                self._next_sweep = now + SWEEP_EVERY
                sweep = True
        for w, uses in due:
            self._submit(lambda w=w, uses=uses: self._build(w, uses))  # type: ignore[misc]
        if flush:
            self._submit(self.flush)
        if sweep:
            self._submit(self.sweep)

    def _remember(self, table_id: int, shape: QueryShape, now: datetime) -> None:
        key = shape.key()
        with self._lock:
            seen = self._recent.setdefault(table_id, OrderedDict())
            s = seen.get(key)
            if s is None:
                seen[key] = SeenShape(shape, 1, now)
                if len(seen) > self.RECENT:
                    seen.popitem(last=False)
            else:
                s.count += 1
                s.last_seen = now
                seen.move_to_end(key)

    def recent(self, table_id: int) -> list[SeenShape]:
        """The shapes of the last pages this process read from the table, newest first."""
        with self._lock:
            seen = self._recent.get(table_id)
            return (
                [SeenShape(s.shape, s.count, s.last_seen) for s in reversed(seen.values())]
                if seen
                else []
            )

    # -- the builder thread ---------------------------------------------------------------------

    def _submit(self, job: Callable[[], Any]) -> None:
        with self._lock:
            if self._closed:
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="index-builder", daemon=True)
                self._thread.start()
        self._jobs.put(job)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                job()
            except Exception:  # the database may be away a moment: the next use asks again
                log.exception("index job failed")
            finally:
                self._jobs.task_done()

    def drain(self) -> None:
        """Wait until the jobs asked for so far are done (tests; a server shutting down)."""
        self._jobs.join()

    def close(self) -> None:
        with self._lock:
            self._closed, thread = True, self._thread
        if thread is not None:
            self._jobs.put(None)
            thread.join(60)

    def _build(self, w: Wanted, uses: int) -> None:
        with self.engine.connect() as conn:
            conn.info["write"] = False
            existing = index_names(conn, w.table_id)
            rows = approximate_rows(conn, w.table_id)
        if w.name in existing or w.alternatives & existing:
            if w.name in existing:  # made by another process (or before the register was)
                self._register(w, uses)
            with self._lock:
                self._known.add(w.name)
            return
        if rows < self.policy.min_rows:
            return
        if sum(automatic(w.table_id, n) for n in existing) >= self.policy.max_per_table:
            log.info(
                "%s not built: t_%s has its %d automatic indexes", w.name, w.table_id, len(existing)
            )
            return
        try:
            # A composite serves pages and their counts, which read live records only.
            build_index(self.engine, w.table_id, w.name, w.columns, live_only=w.kind == "composite")
        except sa.exc.DBAPIError as e:  # e.g. the field was dropped meanwhile
            log.warning("index %s on t_%s not created: %s", w.name, w.table_id, e.orig)
            return
        log.info("%s index %s created on t_%s (%s rows)", w.kind, w.name, w.table_id, rows)
        self._register(w, uses)
        with self._lock:
            self._known.add(w.name)

    def _register(self, w: Wanted, uses: int) -> None:
        with self.engine.begin() as conn:
            auto_indexes.register(
                conn,
                w.name,
                w.table_id,
                w.kind,
                w.columns,
                dict(w.shape),
                uses,
                naive_utc(self.clock.now()),
            )

    def flush(self) -> None:
        """Write the uses seen since the last flush to the register."""
        with self._lock:
            names, self._unflushed = self._unflushed, set()
        if names:
            with self.engine.begin() as conn:
                auto_indexes.touch(conn, names, naive_utc(self.clock.now()))

    def sweep(self, now: datetime | None = None) -> list[str]:
        """Drop the automatic indexes no query has used for ``unused_days`` days and forget
        the registered ones that are gone (a field deleted); the names dropped."""
        now = naive_utc(now or self.clock.now())
        self.flush()
        cutoff = now - timedelta(days=self.policy.unused_days)
        with self.engine.connect() as conn:
            conn.info["write"] = False
            rows = auto_indexes.everything(conn)
            tables = {r.table_id for r in rows} | {
                int(m.group(1)) for n in list(self._known) if (m := _TABLE_OF.match(n))
            }
            existing = {t: index_names(conn, t) for t in tables}
        gone, dropped = [], []
        for r in rows:
            if r.name not in existing[r.table_id]:
                gone.append(r.name)
            elif r.last_seen < cutoff:
                drop_index(self.engine, r.name)
                gone.append(r.name)
                dropped.append(r.name)
                log.info("index %s dropped: unused since %s", r.name, r.last_seen)
        if gone:
            with self.engine.begin() as conn:
                auto_indexes.forget(conn, gone)
        everything = set().union(*existing.values()) if existing else set()
        with self._lock:
            self._known &= everything - set(gone)
            for name in gone:
                self._touched.pop(name, None)
                for key in [k for k in self._due if k[1] == name]:
                    self._due.pop(key, None)
                    self._uses.pop(key, None)
        return dropped
