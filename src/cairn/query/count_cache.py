"""Page counts kept in memory until a table they read changes.

A count is found by the schema and permission version (the catalogue's), the table, the
filter in a normal form (the same conditions in another order, or wrapped in a group of one,
are the same filter) and whose row scope it was counted in: a caller limited to their own or
their department's rows keeps their own counts; callers who see every row share. A count
under a role's row filter, or one whose SQL holds the clock's date (relative dates,
formulas), is not kept (``QueryPlan.count_reusable``).

An entry holds the data version (``store.data_versions``) of every table the count's SQL read
(``store.data_reads``: the table, tables reached through relations, lookups and rollups, the
people directory for a row scope by department). It answers while they are unchanged; every
write moves its tables' versions in the writing transaction, so any process sees it. The
versions are read before the count runs: a write landing meanwhile costs a miss later, never
a stale count.

The cache is a bounded LRU per process; a kept exact count also answers a request for any
count, and is not replaced by an estimate of the same data.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cairn.query.counts import Count, count_rows
from cairn.query.tree import Group, Node, parse_filter
from cairn.store import data_versions
from cairn.store.catalog import Catalog
from cairn.store.data_reads import tables_read


def count_key(version: int, table_id: int, filter: Any, scope: str) -> str | None:
    """The cache key of a count; None when the filter is not plain JSON."""
    node = parse_filter(filter)
    try:
        text = json.dumps(
            None if node is None else _normal(node), sort_keys=True, separators=(",", ":")
        )
    except (TypeError, ValueError):  # dates or decimals passed by Python callers
        return None
    return f"{version}:{table_id}:{scope}:{text}"


def _normal(node: Node) -> Any:
    """``node`` as JSON with nested groups of one kind merged, a group of one replaced by its
    member, and a group's members in a fixed order."""
    if not isinstance(node, Group):
        return node.to_json()
    members: list[Any] = []
    for child in node.children:
        j = _normal(child)
        if isinstance(j, dict) and set(j) == {node.kind}:
            members.extend(j[node.kind])
        else:
            members.append(j)
    if len(members) == 1:
        return members[0]
    members.sort(key=lambda m: json.dumps(m, sort_keys=True, default=str))
    return {node.kind: members}


@dataclass(frozen=True)
class _Entry:
    #: The tables the count read and their versions then.
    versions: tuple[tuple[int, int], ...]
    count: Count

    @property
    def tables(self) -> tuple[int, ...]:
        return tuple(t for t, _ in self.versions)


class CountCache:
    """Counts by key, least recently used out first past ``size``. Thread-safe; ``hits``
    and ``misses`` count over the process's life."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def entry(self, key: str) -> _Entry | None:
        with self._lock:
            return self._entries.get(key)

    def hit(self, key: str, entry: _Entry) -> None:
        with self._lock:
            self.hits += 1
            if key in self._entries:
                self._entries.move_to_end(key)

    def put(self, key: str, entry: _Entry) -> None:
        with self._lock:
            self.misses += 1
            old = self._entries.get(key)
            if old is not None and old.versions == entry.versions and old.count.kind == "exact":
                entry = old  # an estimate of the same data does not replace its exact count
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"entries": len(self._entries), "hits": self.hits, "misses": self.misses}


class PageCounter:
    """Counts for record pages (``counts.count_rows``), kept in ``cache`` when they may be."""

    def __init__(self, exact_rows: int, cache: CountCache | None = None) -> None:
        self.exact_rows = exact_rows
        self.cache = cache

    def count(
        self,
        conn: sa.Connection,
        catalog: Catalog,
        table_id: int,
        count_select: sa.Select[Any],
        *,
        key: str | None,
        exact: bool = False,
    ) -> Count:
        """The count of ``count_select`` over ``t_<table_id>``; ``key`` None: not kept."""
        cache = self.cache
        entry = cache.entry(key) if cache is not None and key is not None else None
        tables = entry.tables if entry is not None else None
        if tables is None and cache is not None and key is not None:
            found = tables_read(catalog, [count_select])
            tables = tuple(sorted(found)) if found is not None else None
        now: Mapping[int, int] | None = None
        if tables is not None:
            now = data_versions.read(conn, tables)
            if (
                entry is not None
                and all(now.get(t) == v for t, v in entry.versions)
                and (entry.count.kind == "exact" or not exact)
            ):
                assert cache is not None and key is not None
                cache.hit(key, entry)
                return entry.count
        count = count_rows(conn, table_id, count_select, exact_rows=self.exact_rows, exact=exact)
        if now is not None and cache is not None and key is not None:
            cache.put(key, _Entry(tuple(sorted(now.items())), count))
        return count
