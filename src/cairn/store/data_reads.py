"""Which data versions a statement's result depends on (``store.data_versions``).

A result kept in memory (a dashboard widget's, ``cairn.reports.cache``; a page's count,
``cairn.query.count_cache``) is good while the version of every table its SQL read is
unchanged. ``tables_read`` finds those tables in the SQL itself, through joins, aliases and
subqueries: a record table ``t_<id>``, a relation's junction (written from either side), a
sub-form's rows (written through their parent record), and the people directory (a row scope
by department reads it). A statement that reads any other table has no version to check.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

import sqlalchemy as sa
from sqlalchemy.sql import visitors

from cairn.meta import junction_name
from cairn.store.catalog import Catalog
from cairn.store.data_versions import DIRECTORY

#: System tables a kept result's SQL may read, and the version that follows them: the people
#: directory (a row scope by department), or none beyond the catalogue's version (the working
#: calendar: changing it changes the schema version, which is in every key).
SYSTEM_TABLES: Mapping[str, frozenset[int]] = {
    "users": frozenset({DIRECTORY}),
    "departments": frozenset({DIRECTORY}),
    "user_departments": frozenset({DIRECTORY}),
    "calendar_days": frozenset(),
}


@dataclass
class _Names:
    """Per catalogue: the SQL table name → the tables whose versions follow it, and per app
    the tables its widgets may reach (its own and the targets of their relations)."""

    tables: dict[str, frozenset[int]] = field(default_factory=dict)
    reach: dict[int, frozenset[int]] = field(default_factory=dict)


_NAMES: WeakKeyDictionary[Catalog, _Names] = WeakKeyDictionary()
_NAMES_LOCK = threading.Lock()


def _names(catalog: Catalog) -> _Names:
    with _NAMES_LOCK:
        found = _NAMES.get(catalog)
    if found is not None:
        return found
    names = _Names(dict(SYSTEM_TABLES))

    def written_by(table_id: int) -> frozenset[int]:
        # A sub-form's rows (and their links) are written through their parent record,
        # whose table's version the write bumps.
        ts = catalog.schemas.get(table_id)
        parent = ts.parent if ts is not None else None
        return frozenset({table_id} | ({parent.id} if parent is not None else set()))

    for s in catalog.schemas.values():
        names.tables[s.sa_table.name] = written_by(s.id)
        for f in s.fields:
            target = f.options.get("target_table_id") if f.is_relation else None
            if target:
                # A link lives in its junction: written from either side, read from either.
                j = junction_name(f)
                both = written_by(s.id) | written_by(int(target))
                names.tables[j] = names.tables.get(j, frozenset()) | both
    by_app: dict[int, set[int]] = {}
    for s in catalog.schemas.values():
        reach = by_app.setdefault(s.table.app_id, set())
        reach.add(s.id)
        for f in s.fields:
            target = f.options.get("target_table_id") if f.is_relation else None
            if target:
                reach.add(int(target))
    names.reach = {app: frozenset(ids | {DIRECTORY}) for app, ids in by_app.items()}
    with _NAMES_LOCK:
        _NAMES[catalog] = names
    return names


def reachable(catalog: Catalog, app_id: int) -> frozenset[int]:
    """The tables (and the directory) whose versions a request for ``app_id`` reads first."""
    return _names(catalog).reach.get(app_id, frozenset({DIRECTORY}))


def tables_read(catalog: Catalog, statements: Iterable[sa.ClauseElement]) -> set[int] | None:
    """The versioned tables ``statements`` read (through joins, aliases and subqueries);
    None when one of them reads a table no version follows."""
    names = _names(catalog).tables
    out: set[int] = set()
    for stmt in statements:
        for element in visitors.iterate(stmt):
            if isinstance(element, sa.Table):
                ids = names.get(element.name)
                if ids is None:
                    return None
                out |= ids
    return out
