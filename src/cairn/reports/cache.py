"""The result cache of report widgets: a widget nobody changed the data of answers from memory.

An entry is found by a key of everything the result depends on besides the data and the
clock: the app, the schema and permission version (the catalogue's), the widget's source as it
runs (its dataset spec or KPI parameters with the dashboard's filter values applied: periods as
dates, departments as their members), its type, title and settings, and whose read scope it
was computed in (the rows and fields a restricted user sees are theirs alone; callers who see
everything share).

The entry holds the data version of every table the widget's SQL read (``store.data_versions``:
its own table, tables reached through relations, lookups and rollups, and the people directory
when a row scope by department went in; ``store.data_reads`` finds them in the SQL). It is good while those versions are unchanged: a
write to a table invalidates exactly the widgets that read it. The versions are read once per
request, before anything is computed, so a write that lands meanwhile only costs a miss later.

A widget whose SQL took today's date from the clock (relative periods such as "this month",
TODAY() in a formula) is good for that local day only: a new day, or a test clock moved to
another day, computes it again (``core.clock.note_clock_read`` tells). Not kept at all: a
widget that failed, one whose SQL holds the time of day (NOW()), and one that read a table
the versions do not follow.

The cache lives in one process, bounded by entries and by size (least recently used goes
first); every process checks the versions in the database, so any number of them agree.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cairn.core import Clock
from cairn.core.clock import clock_reads
from cairn.query import local_today
from cairn.store import data_versions
from cairn.store.catalog import Catalog
from cairn.store.data_reads import reachable, tables_read

__all__ = ["CacheRun", "CachedResult", "Computed", "ResultCache", "reachable", "widget_key"]


@dataclass(frozen=True)
class CachedResult:
    """A widget's reply, the data versions it was computed at and, when it took today's date
    from the clock, that day."""

    value: dict[str, Any]
    versions: tuple[tuple[int, int], ...]
    size: int
    day: str | None = None
    #: What brings the reply forward after a write instead of computing it again
    #: (``incremental.State``); None for most.
    state: Any = None


class ResultCache:
    """Widget results by key, least recently used out first once ``max_entries`` or
    ``max_bytes`` (the replies' JSON size) is exceeded. Thread-safe. ``hits`` and ``misses``
    count over the process's life (a miss: computed, kept or not)."""

    def __init__(self, max_entries: int = 2000, max_bytes: int = 64 << 20) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        #: Misses answered by bringing a kept entry forward (``CacheRun.forward``).
        self.forwarded = 0
        self._entries: OrderedDict[str, CachedResult] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str, versions: Mapping[int, int], today: str) -> CachedResult | None:
        """The entry under ``key`` if every table it read is still at its version (and it is
        still its day)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or (entry.day is not None and entry.day != today):
                return None
            if any(versions.get(t) != v for t, v in entry.versions):
                return None
            self._entries.move_to_end(key)
            return entry

    def peek(self, key: str) -> CachedResult | None:
        """The entry under ``key`` whatever its versions."""
        with self._lock:
            return self._entries.get(key)

    def put(self, key: str, entry: CachedResult) -> None:
        if entry.size > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._entries[key] = entry
            self._bytes += entry.size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= dropped.size

    def count(self, hit: bool, forwarded: bool = False) -> None:
        with self._lock:
            if hit:
                self.hits += 1
            else:
                self.misses += 1
                self.forwarded += forwarded

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "entries": len(self._entries),
                "bytes": self._bytes,
                "hits": self.hits,
                "misses": self.misses,
                "forwarded": self.forwarded,
            }


def widget_key(*parts: Any) -> str:
    """A short key for ``parts`` (JSON-ready values: dicts, lists, text, numbers)."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=20).hexdigest()


# -- one request -----------------------------------------------------------------------------
#: A widget computed: its reply and the SELECTs that produced it.
Computed = tuple[dict[str, Any], Sequence[sa.ClauseElement]]
#: A reply that can be brought forward: the reply, the one table's version it is of, and
#: what brings it forward (``CacheRun.forward``).
Kept = tuple[dict[str, Any], int, Any]


@dataclass
class CacheRun:
    """One request's use of the cache: the data versions read once at its start and the local
    date, then each widget a hit or computed (and kept when it may be). ``cache`` None:
    computed every time."""

    cache: ResultCache | None
    catalog: Catalog
    versions: Mapping[int, int]
    today: str
    hits: int = 0
    misses: int = 0

    def widget(self, key: str, compute: Callable[[], Computed]) -> dict[str, Any]:
        cache = self.cache
        if cache is not None:
            entry = cache.get(key, self.versions, self.today)
            if entry is not None:
                self.hits += 1
                cache.count(True)
                return dict(entry.value)  # a copy: the caller may add to its reply
        self.misses += 1
        dates, times = clock_reads()
        value, statements = compute()
        if cache is None:
            return value
        cache.count(False)
        dates_after, times_after = clock_reads()
        if "error" in value or times_after != times:
            return value
        tables = tables_read(self.catalog, statements)
        if tables is None or not tables <= self.versions.keys():
            return value
        size = len(json.dumps(value, separators=(",", ":"), default=str))
        versions = tuple((t, self.versions[t]) for t in sorted(tables))
        day = self.today if dates_after != dates else None
        cache.put(key, CachedResult(dict(value), versions, size, day))
        return value

    def forward(
        self,
        key: str,
        table_id: int,
        bring: Callable[[Any], Kept | None],
        full: Callable[[], Kept | None],
        compute: Callable[[], Computed],
    ) -> dict[str, Any]:
        """A reply over one table that can be brought forward after a write: from the cache
        while the table is unchanged; else the kept entry's state brought to the table's
        version now (``bring``), else computed with a state (``full``), else as ``widget``
        computes it. Nothing here may read the clock (``incremental`` shapes do not)."""
        cache = self.cache
        if cache is None:
            return self.widget(key, compute)
        entry = cache.get(key, self.versions, self.today)
        if entry is not None:
            self.hits += 1
            cache.count(True)
            return dict(entry.value)
        stale = cache.peek(key)
        kept = bring(stale.state) if stale is not None and stale.state is not None else None
        forwarded = kept is not None
        kept = kept or full()
        if kept is None:
            return self.widget(key, compute)
        self.misses += 1
        cache.count(False, forwarded)
        value, version, state = kept
        size = len(json.dumps(value, separators=(",", ":"), default=str))
        cache.put(key, CachedResult(dict(value), ((table_id, version),), size, None, state))
        return value

    def counts(self) -> dict[str, int]:
        return {"hits": self.hits, "misses": self.misses}


def cache_run(
    cache: ResultCache | None, conn: sa.Connection, catalog: Catalog, app_id: int, clock: Clock
) -> CacheRun:
    """The result cache for one request over ``app_id``'s tables: the data versions of every
    table its reports may read, in one query, and the local date, before anything runs (a
    dashboard's widgets, a dataset query)."""
    today = local_today(clock, catalog.ctx.timezone).isoformat()
    if cache is None:
        return CacheRun(None, catalog, {}, today)
    versions = data_versions.read(conn, reachable(catalog, app_id))
    return CacheRun(cache, catalog, versions, today)


def reader_key(everything: bool, user_id: int | None, is_admin: bool, read_only: bool) -> Any:
    """The part of a key that says whose read scope a result was computed in: callers who
    see everything share; anyone else has their own."""
    return "all" if everything else [user_id, is_admin, read_only]
