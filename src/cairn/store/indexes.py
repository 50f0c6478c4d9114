"""Indexes the platform creates by itself, as queries come to need them.

Users never create indexes, and an index nobody queries only slows every write (on SQLite one
index on a random-valued column such as a phone number costs a bulk insert about half its
speed). So a record table starts with the indexes it cannot do without (the primary key, the
owner, partial unique indexes for unique fields, relation junctions) and gets a plain index on a
field once queries have filtered or sorted on that field a few times while the table is large
enough for a scan to hurt; a *group index* on (field, deleted_at) once reports have grouped
by that field a few times: a GROUP BY over live records then reads only that narrow index (a
covering index scan) instead of the whole table; and a *scoped index* on (field, owner_id) once
readers limited to their own or their department's rows have sorted pages by that field: the
page walks the field's order as before, but tells the rows of other owners from the index entry
alone, without reading them (a tenth of the rows in scope costs about what all of them do). On
PostgreSQL, which tests such a condition only after reading the row, the scoped page is read
per owner instead (``query.build_select(owners=)``) and wants an *owner index* on (owner_id,
field); and a *composite index* on the equality fields of a page's filter followed by its
range or sort field (``store.index_shapes``), over live records only (``WHERE deleted_at IS
NULL``, as pages and their counts read: a count over it reads the index alone). This module names the kinds and builds and drops
them; ``store.index_advisor.IndexAdvisor`` counts the uses in each process and builds in the
background, never in the request that asked. Creating an index is idempotent (``IF NOT
EXISTS``), so several processes deciding at once is harmless. On PostgreSQL the index is built
``CONCURRENTLY``: writers are not blocked while it builds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from cairn.store.index_shapes import composite_fields


def plain_index_name(table_id: int, field_id: int) -> str:
    return f"ix_t{table_id}_f{field_id}"


def unique_index_name(table_id: int, field_id: int) -> str:
    return f"ux_t{table_id}_f{field_id}"


def blind_index_name(table_id: int, field_id: int) -> str:
    """The index on a sensitive field's blind-index column ``f_<id>_bi``."""
    return f"ix_t{table_id}_b{field_id}"


def group_index_name(table_id: int, field_id: int) -> str:
    return f"ix_t{table_id}_g{field_id}"


def scoped_index_name(table_id: int, field_id: int) -> str:
    return f"ix_t{table_id}_o{field_id}"


def owner_index_name(table_id: int, field_id: int) -> str:
    return f"ix_t{table_id}_w{field_id}"


#: What each kind of automatic index is called, and the columns before and after the field's.
KINDS = {
    "plain": (plain_index_name, (), ()),
    "group": (group_index_name, (), ("deleted_at",)),
    "scoped": (scoped_index_name, (), ("owner_id",)),
    "owner": (owner_index_name, ("owner_id",), ()),
}


def quote(conn: sa.Connection, name: str) -> str:
    """An identifier quoted for this connection's dialect (names built from ids only)."""
    return conn.dialect.identifier_preparer.quote(name)


def index_names(conn: sa.Connection, table_id: int) -> set[str]:
    """The names of the (valid) indexes on record table ``t_<table_id>``."""
    name = f"t_{table_id}"
    if conn.dialect.name == "postgresql":
        rows = conn.execute(
            sa.text(
                "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                " JOIN pg_class t ON t.oid = i.indrelid"
                " WHERE t.relname = :t AND t.relnamespace = to_regnamespace(current_schema())"
                " AND i.indisvalid"
            ),
            {"t": name},
        )
    else:
        rows = conn.execute(
            sa.text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t"),
            {"t": name},
        )
    return {r[0] for r in rows}


def approximate_rows(conn: sa.Connection, table_id: int) -> int:
    """Rows ever inserted (the highest id): one index probe, close enough to decide on an index."""
    t = sa.table(f"t_{table_id}", sa.column("id"))
    return int(conn.execute(sa.select(sa.func.max(t.c.id))).scalar() or 0)


def automatic(table_id: int, name: str) -> bool:
    """Whether ``name`` is one of the automatic kinds' names on table ``table_id``."""
    return re.fullmatch(rf"ix_t{table_id}_[fgowc]\d+(?:_\d+)*", name) is not None


def field_index_names(names: Iterable[str], table_id: int, field_id: int) -> list[str]:
    """Of ``names``, the automatic indexes of ``table_id`` that hold field ``field_id``."""
    out = [namer(table_id, field_id) for namer, _, _ in KINDS.values()]
    for name in names:
        found = composite_fields(name)
        if found is not None and found[0] == table_id and field_id in found[1]:
            out.append(name)
    return out


def build_index(
    engine: sa.Engine,
    table_id: int,
    name: str,
    columns: Sequence[str],
    *,
    live_only: bool = False,
) -> None:
    """``CREATE INDEX IF NOT EXISTS name ON t_<table_id> (columns)``, then fresh planner
    statistics (and on PostgreSQL a vacuum, for index-only scans). Writers are not blocked on PostgreSQL (``CONCURRENTLY``, outside a
    transaction); SQLite builds it in one write transaction.

    ``live_only``: a partial index over live records (``WHERE deleted_at IS NULL``, the
    condition every page and its count carry). A count over its columns then reads the index
    alone: without it, each matching entry costs a read of its row to test ``deleted_at``
    (a bounded count of 10,001 rows: ~10,000 row reads)."""
    with engine.connect() as conn:
        table, ix = quote(conn, f"t_{table_id}"), quote(conn, name)
        cols = ", ".join(quote(conn, c) for c in columns)
        where = " WHERE deleted_at IS NULL" if live_only else ""
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            # A concurrent build that failed leaves an invalid index behind: rebuild it.
            invalid = conn.execute(
                sa.text(
                    "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                    " WHERE c.relname = :n AND NOT i.indisvalid"
                ),
                {"n": name},
            ).first()
            if invalid:
                conn.exec_driver_sql(f"DROP INDEX CONCURRENTLY IF EXISTS {ix}")
            conn.exec_driver_sql(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {ix} ON {table} ({cols}){where}"
            )
            # VACUUM marks the pages all-visible: an index-only scan (a page's count) then
            # reads no rows. Autovacuum keeps it so after; until it has run, every entry
            # costs a visit of its row. It takes no lock writers wait for.
            conn.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
        else:
            conn.info["write"] = True
            with conn.begin():
                conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {ix} ON {table} ({cols}){where}")
            conn.exec_driver_sql(f"ANALYZE {table}")
            conn.commit()


def drop_index(engine: sa.Engine, name: str) -> None:
    """``DROP INDEX IF EXISTS``: without blocking writers on PostgreSQL (``CONCURRENTLY``)."""
    with engine.connect() as conn:
        ix = quote(conn, name)
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql(f"DROP INDEX CONCURRENTLY IF EXISTS {ix}")
        else:
            conn.info["write"] = True
            with conn.begin():
                conn.exec_driver_sql(f"DROP INDEX IF EXISTS {ix}")


@dataclass(frozen=True)
class IndexPolicy:
    #: A field (or a query shape) gets its index after this many queries used it ...
    after_uses: int = 3
    #: ... while its table holds at least this many rows (below that a scan is cheap).
    min_rows: int = 5_000
    #: A table found too small is looked at again after this many more uses.
    recheck_every: int = 50
    #: At most this many automatic indexes per table (each one slows every write).
    max_per_table: int = 10
    #: An automatic index no query has used for this many days is dropped.
    unused_days: int = 30
