"""Data versions: one number per user table that every committed change to its records moves.

The unit of work bumps the tables its record events name, in the writing transaction, as its
last statement before the commit (``services.uow``): a reader that sees a version also sees the
data written with it, on any process. Report results cached in a process are checked against
these numbers (``cairn.reports.cache``): one small query per dashboard.

Why a counter and not the outbox's newest event per table: a write moves one row per table
and transaction (a bulk write of 1,000 records: one statement), where an index on the outbox
would grow with every record written; and the counter never goes back, where the outbox is
purged. Tables are bumped in id order, so two writers never wait on each other in a cycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import sqlalchemy as sa

#: The row that stands for the people directory: users, their departments and the department
#: tree (row scopes by department read them in SQL when a report runs).
DIRECTORY = 0
#: The row that holds the newest outbox event an outbox purge removed (``outbox.purge``):
#: figures brought forward from the events after a mark (``reports.incremental``) are only
#: sound when none of those events is gone.
PURGED = -1


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
    marks = ", ".join(["?" if conn.dialect.name == "sqlite" else "%s"] * len(ids))
    sql = f"SELECT table_id, version FROM table_versions WHERE table_id IN ({marks})"
    found = dict(conn.exec_driver_sql(sql, tuple(ids)).all())
    return {i: int(found.get(i, 0)) for i in ids}
