"""Many-row INSERTs at the speed of the driver.

On SQLite, Core's executemany spends most of its time in per-row Python bookkeeping; here the
rows go to the driver's own executemany, each value converted by its column's SQLAlchemy bind
processor, so it is stored exactly as Core would store it (except that None is always SQL NULL,
where Core writes a JSON column's None as the JSON text null). PostgreSQL keeps Core, which sends
multi-row VALUES (see ``engine.create_engine``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa


def insert_many(conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys, which are column names of ``table``)."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(sa.insert(table), list(rows))
        return
    dialect = conn.dialect
    names = list(rows[0])
    procs = [table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]
    quote = dialect.identifier_preparer.quote
    # Identifiers are column names of a Table object (system names or f_<id>), quoted.
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
        f"VALUES ({', '.join('?' * len(names))})"
    )
    pairs = list(zip(names, procs, strict=True))
    data = [
        tuple(v if p is None or v is None else p(v) for v, p in ((r.get(n), p) for n, p in pairs))
        for r in rows
    ]
    conn.exec_driver_sql(sql, data)
