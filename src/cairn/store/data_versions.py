"""Data versions: one number per user table that every committed change to its records moves.

The unit of work bumps the tables its record events name, in the writing transaction, as its
last statement before the commit (``services.uow``): a reader that sees a version also sees the
data written with it, on any process. Report results cached in a process are checked against
these numbers (``cairn.reports.cache``): one small query per dashboard.

Why a counter and not the outbox's newest event per table: a write moves one row per table
and transaction (a bulk write of 1,000 records: one statement), where an index on the outbox
would grow with every record written; and the counter never goes back, where the outbox is
purged. Tables are bumped in id order, so two writers never wait on each other in a cycle.

On PostgreSQL a dashboard request reads no versions at all while nothing was written: the
statement that checks a pooled connection at checkout (``store.engine``), a round trip every
unit of work makes anyway, also returns the sum of every version (``CHECKOUT_TOTAL``). A
version only ever grows, so an unchanged sum means unchanged versions: ``read`` answers from
the process's copy of them, made by the last read that found the sum moved (one statement for
all rows: a row per user table). A write committed before the request began moved the sum the
checkout read, on whichever process it ran, so the copy is never older than that write. A
unit of work without such a check (SQLite, a second read in the same unit of work, a writer)
reads the versions as before.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa

#: The row that stands for the people directory: users, their departments and the department
#: tree (row scopes by department read them in SQL when a report runs).
DIRECTORY = 0
#: The row that holds the newest outbox event an outbox purge removed (``outbox.purge``):
#: figures brought forward from the events after a mark (``reports.incremental``) are only
#: sound when none of those events is gone.
PURGED = -1


#: Where a checked-out PostgreSQL connection keeps the sum of the versions its checkout read.
CHECKED_TOTAL = "cairn_checked_data_total"
#: What the checkout reads besides the schema version (``store.engine``).
TOTAL_SQL = "SELECT coalesce(sum(version), 0) FROM table_versions"
_ALL_SQL = "SELECT table_id, version FROM table_versions"


@dataclass(frozen=True)
class _Copy:
    """Every table's version as one read saw them, and their sum."""

    versions: Mapping[int, int]
    total: int


#: Per engine (a process may hold several: tests, the benchmark): its latest copy.
_copies: weakref.WeakKeyDictionary[sa.Engine, _Copy] = weakref.WeakKeyDictionary()
_copies_lock = threading.Lock()


#: Run by the driver without Core's compile and cache-key step (a write's overhead otherwise
#: more than the statement's own): the same text on both databases but the placeholder.
_BUMP = (
    "INSERT INTO table_versions (table_id, version) VALUES ({p}, 1) ON CONFLICT (table_id) "
    "DO UPDATE SET version = table_versions.version + 1"
)
_BUMP_SQL = {"sqlite": _BUMP.format(p="?"), "postgresql": _BUMP.format(p="%s")}


def bump(conn: sa.Connection, table_ids: Iterable[int]) -> None:
    """Move the version of each of ``table_ids`` (a table not seen before starts at 1)."""
    ids = sorted(set(table_ids))
    conn.connection.info.pop(CHECKED_TOTAL, None)  # this transaction's reads go to the table
    sql = _BUMP_SQL[conn.dialect.name]
    if len(ids) == 1:  # most writes: one table
        conn.exec_driver_sql(sql, (ids[0],))
    elif ids:
        conn.exec_driver_sql(sql, [(i,) for i in ids])


_PURGED = (
    "INSERT INTO table_versions (table_id, version) VALUES ({p}, {p}) ON CONFLICT (table_id) "
    "DO UPDATE SET version = CASE WHEN excluded.version > table_versions.version "
    "THEN excluded.version ELSE table_versions.version END"
)
_PURGED_SQL = {"sqlite": _PURGED.format(p="?"), "postgresql": _PURGED.format(p="%s")}


def note_purged(conn: sa.Connection, newest_id: int) -> None:
    """An outbox purge removed events up to ``newest_id`` (kept: the highest ever)."""
    conn.exec_driver_sql(_PURGED_SQL[conn.dialect.name], (PURGED, newest_id))


def read(conn: sa.Connection, table_ids: Iterable[int]) -> Mapping[int, int]:
    """The version of each of ``table_ids`` (0: never written). One statement, run by the
    driver: it is read on every dashboard request."""
    ids = sorted({int(i) for i in table_ids})
    if not ids:
        return {}
    total = conn.connection.info.pop(CHECKED_TOTAL, None)
    if total is not None:
        return _from_copy(conn, ids, int(total))
    marks = ", ".join(["?" if conn.dialect.name == "sqlite" else "%s"] * len(ids))
    sql = f"SELECT table_id, version FROM table_versions WHERE table_id IN ({marks})"
    found = dict(conn.exec_driver_sql(sql, tuple(ids)).all())
    return {i: int(found.get(i, 0)) for i in ids}


def _from_copy(conn: sa.Connection, ids: list[int], total: int) -> Mapping[int, int]:
    """``ids``' versions from the engine's copy when the checkout's sum is the copy's (no
    version moved since it was made), else from a new copy of every row."""
    engine = conn.engine
    copy = _copies.get(engine)
    if copy is None or copy.total != total:
        found = {int(t): int(v) for t, v in conn.exec_driver_sql(_ALL_SQL).all()}
        copy = _Copy(found, sum(found.values()))
        with _copies_lock:
            _copies[engine] = copy
    return {i: copy.versions.get(i, 0) for i in ids}
