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
field). ``IndexAdvisor`` counts that use in each process; creating the index is idempotent (``IF NOT EXISTS``), so several processes deciding at once is harmless. On
PostgreSQL the index is built ``CONCURRENTLY``: writers are not blocked while it builds.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import sqlalchemy as sa

log = logging.getLogger(__name__)


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


def create_index(
    engine: sa.Engine, table_id: int, field_id: int, column: str, kind: str = "plain"
) -> None:
    """``CREATE INDEX IF NOT EXISTS`` of ``kind`` on one field column, then fresh planner
    statistics."""
    namer, before, after = KINDS[kind]
    name = namer(table_id, field_id)
    with engine.connect() as conn:
        table, ix = quote(conn, f"t_{table_id}"), quote(conn, name)
        cols = ", ".join(quote(conn, c) for c in (*before, column, *after))
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
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {ix} ON {table} ({cols})"
            )
            conn.exec_driver_sql(f"ANALYZE {table}")
        else:
            conn.info["write"] = True
            with conn.begin():
                conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {ix} ON {table} ({cols})")
            conn.exec_driver_sql(f"ANALYZE {table}")
            conn.commit()


@dataclass(frozen=True)
class IndexPolicy:
    #: A field gets its index after this many queries filtered or sorted on it ...
    after_uses: int = 3
    #: ... while its table holds at least this many rows (below that a scan is cheap).
    min_rows: int = 5_000
    #: A table found too small is looked at again after this many more uses.
    recheck_every: int = 50


class IndexAdvisor:
    """Counts, per process, the queries that would use an index a field lacks; builds it when due.

    ``note`` is called with the fields a query filtered or sorted on (by column); it returns at
    once unless an index is due, so the cost on the query path is a dictionary update.
    """

    def __init__(self, engine: sa.Engine, policy: IndexPolicy | None = None) -> None:
        self.engine = engine
        self.policy = policy or IndexPolicy()
        self._lock = threading.Lock()
        self._uses: dict[tuple[int, int, str], int] = {}
        self._due: dict[tuple[int, int, str], int] = {}
        #: Indexes known to exist, per schema version (a type change drops indexes).
        self._known: set[tuple[int, int, str]] = set()
        self._version: int | None = None
        #: The kind a row-scoped sorted page wants: its owner tested from the sort's index
        #: (SQLite), or its rows read per owner (PostgreSQL).
        self.scoped_kind = "owner" if engine.dialect.name == "postgresql" else "scoped"

    def note(
        self, version: int, table_id: int, fields: dict[int, str], kind: str = "plain"
    ) -> None:
        """``fields``: field id → column name of the fields a query filtered or sorted on
        (``kind`` plain), a report grouped by (``kind`` group), or a row-scoped page was
        sorted by first (``kind`` scoped)."""
        if not fields:
            return
        due: list[tuple[int, str]] = []
        with self._lock:
            if version != self._version:  # a type change or a drop may have removed indexes
                self._version = version
                self._known.clear()
                self._uses.clear()
                self._due.clear()
            for field_id, column in fields.items():
                key = (table_id, field_id, kind)
                if key in self._known:
                    continue
                uses = self._uses.get(key, 0) + 1
                self._uses[key] = uses
                if uses >= self._due.get(key, self.policy.after_uses):
                    self._due[key] = uses + self.policy.recheck_every
                    due.append((field_id, column))
        if due:
            self._build(table_id, due, kind)

    def _build(self, table_id: int, due: list[tuple[int, str]], kind: str = "plain") -> None:
        with self.engine.connect() as conn:
            conn.info["write"] = False
            existing = index_names(conn, table_id)
            rows = approximate_rows(conn, table_id)
        namer = KINDS[kind][0]
        for field_id, column in due:
            key = (table_id, field_id, kind)
            names = {namer(table_id, field_id)}
            if kind == "plain":
                names.add(unique_index_name(table_id, field_id))
            if names & existing:
                with self._lock:
                    self._known.add(key)
                continue
            if rows < self.policy.min_rows:
                continue
            try:
                create_index(self.engine, table_id, field_id, column, kind)
            except sa.exc.DBAPIError as e:  # e.g. the field was dropped meanwhile
                log.warning("index on t_%s.%s not created: %s", table_id, column, e.orig)
                continue
            log.info("%s index created on t_%s.%s (%s rows)", kind, table_id, column, rows)
            with self._lock:
                self._known.add(key)
