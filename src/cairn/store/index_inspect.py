"""What the database says about a record table's indexes: names, columns, size.

PostgreSQL answers from its catalogue (``pg_index``, ``pg_relation_size``, and
``pg_stat_user_indexes`` for how many scans used each since its statistics were reset);
SQLite from ``PRAGMA index_list`` / ``index_info`` and, where the library has it, the ``dbstat``
table for sizes. SQLite keeps a table's rows in its integer primary key (no separate index):
it is listed as the primary key with the table's own size.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from cairn.store.indexes import quote


@dataclass(frozen=True)
class IndexFacts:
    name: str
    columns: list[str]
    unique: bool
    primary: bool
    #: Bytes on disk; None when the database cannot tell.
    size_bytes: int | None
    #: Index scans since the statistics were reset (PostgreSQL); None elsewhere.
    scans: int | None = None


def table_indexes(conn: sa.Connection, table_id: int) -> list[IndexFacts]:
    """The valid indexes of record table ``t_<table_id>``, by name."""
    if conn.dialect.name == "postgresql":
        return _postgres(conn, f"t_{table_id}")
    return _sqlite(conn, f"t_{table_id}")


_PG = """
SELECT c.relname, i.indisunique, i.indisprimary, pg_relation_size(c.oid),
       coalesce(s.idx_scan, 0),
       array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             ORDER BY k.ord)
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_class t ON t.oid = i.indrelid
LEFT JOIN pg_stat_user_indexes s ON s.indexrelid = i.indexrelid
WHERE t.relname = :t AND t.relnamespace = to_regnamespace(current_schema()) AND i.indisvalid
ORDER BY c.relname
"""


def _postgres(conn: sa.Connection, table: str) -> list[IndexFacts]:
    rows = conn.execute(sa.text(_PG), {"t": table})
    return [
        IndexFacts(name, list(cols), bool(unique), bool(primary), int(size), int(scans))
        for name, unique, primary, size, scans, cols in rows
    ]


def _sqlite(conn: sa.Connection, table: str) -> list[IndexFacts]:
    out = [IndexFacts(f"{table} (rowid)", ["id"], True, True, _dbstat(conn, table))]
    for row in conn.exec_driver_sql(f"PRAGMA index_list({quote(conn, table)})").all():
        name, unique, origin = row[1], bool(row[2]), row[3]
        info = conn.exec_driver_sql(f"PRAGMA index_info({quote(conn, name)})").all()
        cols = [r[2] for r in sorted(info, key=lambda r: r[0])]
        out.append(IndexFacts(name, cols, unique, origin == "pk", _dbstat(conn, name)))
    return sorted(out, key=lambda f: (not f.primary, f.name))


def _dbstat(conn: sa.Connection, name: str) -> int | None:
    """Bytes of one table or index from ``dbstat`` (None when SQLite was built without it)."""
    try:
        size = conn.exec_driver_sql(
            "SELECT pgsize FROM dbstat WHERE name = ? AND aggregate = TRUE", (name,)
        ).scalar()
    except sa.exc.DBAPIError:
        return None
    return None if size is None else int(size)
