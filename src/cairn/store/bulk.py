"""Many-row INSERTs at the speed of the driver.

On SQLite, Core's executemany spends most of its time in per-row Python bookkeeping; here the
rows go to the driver's own executemany, each value converted by its column's SQLAlchemy bind
processor, so it is stored exactly as Core would store it (except that None is always SQL NULL,
where Core writes a JSON column's None as the JSON text null). On PostgreSQL a batch goes through
``COPY … FROM STDIN`` (psycopg's copy protocol, in the caller's transaction), which loads rows
several times faster than multi-row INSERTs; a small batch keeps Core's INSERT.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite


def _datetime_text(v: Any) -> str:
    """SQLite's DATETIME text exactly as SQLAlchemy writes it, at C speed (naive values)."""
    if v.tzinfo is not None:
        v = v.replace(tzinfo=None)
    return v.isoformat(" ", "microseconds")


def _date_text(v: Any) -> str:
    return v.isoformat()


#: How SQLAlchemy stores dates and datetimes as SQLite text (read back by ``fastread``).
SQLITE_DATETIME_FORMAT = sqlite.DATETIME()._storage_format
SQLITE_DATE_FORMAT = sqlite.DATE()._storage_format


def _processor(column: sa.Column[Any], dialect: Any) -> Callable[[Any], Any] | None:
    impl = column.type.dialect_impl(dialect)
    if isinstance(impl, sqlite.DATETIME) and impl._storage_format == SQLITE_DATETIME_FORMAT:
        return _datetime_text
    if isinstance(impl, sqlite.DATE) and impl._storage_format == SQLITE_DATE_FORMAT:
        return _date_text
    return impl.bind_processor(dialect)


def _processed(values: list[Any], process: Callable[[Any], Any] | None) -> list[Any]:
    if process is None:
        return values
    first = values[0]
    if all(v is first for v in values):  # a batch's timestamps, versions, constant payloads
        return [None if first is None else process(first)] * len(values)
    return [None if v is None else process(v) for v in values]


#: Below this many rows an INSERT costs no more than setting up a COPY.
COPY_MIN_ROWS = 20


def insert_many(conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys, which are column names of ``table``)."""
    if rows:
        insert_columns(conn, table, {n: [r.get(n) for r in rows] for n in rows[0]})


def insert_columns(conn: sa.Connection, table: sa.Table, columns: dict[str, list[Any]]) -> None:
    """Insert rows given column by column: column name of ``table`` → its values, one per row
    (every list as long). Callers that hold their data by column skip building a dictionary
    per row only to have it taken apart again here."""
    names = list(columns)
    count = len(columns[names[0]]) if names else 0
    if not count:
        return
    dialect = conn.dialect
    if dialect.name == "postgresql":
        if count < COPY_MIN_ROWS or dialect.driver != "psycopg":
            values = zip(*(columns[n] for n in names), strict=True)
            conn.execute(sa.insert(table), [dict(zip(names, row, strict=True)) for row in values])
        else:
            _copy(conn, table, columns)
        return
    quote = dialect.identifier_preparer.quote
    # Identifiers are column names of a Table object (system names or f_<id>), quoted.
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
        f"VALUES ({', '.join('?' * len(names))})"
    )
    processed = [_processed(columns[n], _processor(table.c[n], dialect)) for n in names]
    conn.exec_driver_sql(sql, list(zip(*processed, strict=True)))


def _copy_processor(column: sa.Column[Any], dialect: Any) -> Callable[[Any], Any] | None:
    """A JSON column's values become their text here, as SQLAlchemy's bind processor would
    serialise them (it wraps each in psycopg's ``Json``, dumped row by row while copying):
    a batch's shared payload is then serialised once (``_processed``)."""
    impl = column.type.dialect_impl(dialect)
    if isinstance(impl, sa.JSON):
        return getattr(dialect, "_json_serializer", None) or json.dumps
    return impl.bind_processor(dialect)


def _copy(conn: sa.Connection, table: sa.Table, values: dict[str, list[Any]]) -> None:
    """COPY the rows in text format; values converted by their columns' bind processors (JSON
    becomes its text), the rest adapted by psycopg as for an INSERT."""
    dialect = conn.dialect
    names = list(values)
    quote = dialect.identifier_preparer.quote
    columns = [_processed(values[n], _copy_processor(table.c[n], dialect)) for n in names]
    # Identifiers are column names of a Table object (system names or f_<id>), quoted.
    sql = f"COPY {quote(table.name)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(sql) as copy:
            for row in zip(*columns, strict=True):
                copy.write_row(row)
    finally:
        cursor.close()
