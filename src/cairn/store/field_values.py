"""SQL over the stored values of one field when its definition changes: encrypt or decrypt them
all, check they are unique, number the existing records, check a relation may become single,
and read and rewrite them for a type conversion."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from cairn.core import Invalid
from cairn.meta import Field, FieldType
from cairn.store import ddl, sensitive
from cairn.store.catalog import TableSchema
from cairn.store.numbering import assign_numbers


def batches(conn: sa.Connection, t: Any, column: str, size: int = 1000) -> Iterator[Any]:
    """(id, value) of every row with a value, ``size`` at a time in id order (keyset)."""
    last = 0
    while True:
        rows = conn.execute(
            sa.select(t.c.id, t.c[column])
            .where(t.c.id > last, t.c[column].is_not(None))
            .order_by(t.c.id)
            .limit(size)
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def reseal(
    conn: sa.Connection, old: TableSchema, new: TableSchema, f: Field, ft: FieldType
) -> None:
    """``f`` (as it is now) was made sensitive or plain: every stored value, live or in the
    recycle bin, is encrypted (and indexed) or decrypted in this transaction, and the
    history of the field keeps no plaintext from before."""
    if f.sensitive:
        ddl.make_sensitive(conn, new.id, f, ft)
        sealer = new.sealers[f.id]
        t = sa.table(
            new.table.sql_name,
            sa.column("id"),
            sa.column(f.column_name),
            sa.column(f.index_column_name),
        )
        for rows in batches(conn, t, f.column_name):
            params = []
            for rid, v in rows:
                ct, bi = sealer.seal(v)
                params.append({"rid": rid, "v": ct, "b": bi})
            conn.execute(
                sa.update(t)
                .where(t.c.id == sa.bindparam("rid"))
                .values({f.column_name: sa.bindparam("v"), f.index_column_name: sa.bindparam("b")}),
                params,
            )
        if f.unique:
            check_no_duplicates(conn, new, f)
        ddl.sync_indexes(conn, new.id, f, ft)
        sensitive.scrub_history(conn, new.id, f.id)
    else:
        sealer = old.sealers[f.id]
        t = sa.table(new.table.sql_name, sa.column("id"), sa.column(f.column_name))
        for rows in batches(conn, t, f.column_name):
            conn.execute(
                sa.update(t)
                .where(t.c.id == sa.bindparam("rid"))
                .values({f.column_name: sa.bindparam("v")}),
                [{"rid": rid, "v": sealer.open(v)} for rid, v in rows],
            )
        ddl.make_plain(conn, new.id, f, ft)
        if f.unique:
            check_no_duplicates(conn, new, f)
        ddl.sync_indexes(conn, new.id, f, ft)


def check_no_duplicates(conn: sa.Connection, s: TableSchema, f: Field) -> None:
    """Refuse to make ``f`` unique while live records share a value (up to 5 shown)."""
    if f.id in s.sealers:  # compare blind indexes; the values stay unshown
        bi = s.sa_table.c[f.index_column_name]
        dup = conn.execute(
            sa.select(bi)
            .where(s.sa_table.c.deleted_at.is_(None), bi.is_not(None))
            .group_by(bi)
            .having(sa.func.count() > 1)
            .limit(1)
        ).first()
        if dup is not None:
            raise Invalid.on("unique", "field.unique", value="****")
        return
    col = s.column(f)
    t = s.sa_table
    dups = conn.execute(
        sa.select(col, sa.func.count())
        .where(t.c.deleted_at.is_(None), col.is_not(None))
        .group_by(col)
        .having(sa.func.count() > 1)
        .limit(5)
    ).all()
    if dups:
        dumper = s.dumpers[f.id]
        vals = [dumper(v) if dumper else v for v, _ in dups]
        raise Invalid.on("unique", "field.unique", value=vals)


def check_single(conn: sa.Connection, junction: sa.Table, column: str) -> None:
    """Refuse to make a relation single while a record on side ``column`` links several."""
    over = conn.execute(
        sa.select(junction.c[column])
        .group_by(junction.c[column])
        .having(sa.func.count() > 1)
        .limit(1)
    ).first()
    if over is not None:
        raise Invalid.on("options.multiple", "value.relation_single")


def number_existing(conn: sa.Connection, s: TableSchema, f: Field, tz: ZoneInfo) -> None:
    """A new auto_number field numbers the existing records in creation order, each from the
    counter of the period it was created in (by its ``created_at`` in ``tz``)."""
    t = sa.table(
        s.table.sql_name,
        sa.column("id"),
        sa.column("created_at", sa.DateTime),
        sa.column(f.column_name),
        sa.column("deleted_at"),
    )
    rows = conn.execute(sa.select(t.c.id, t.c.created_at).order_by(t.c.id)).all()
    if not rows:
        return
    numbers = assign_numbers(conn, f, [at for _, at in rows], tz)
    conn.execute(
        sa.update(t)
        .where(t.c.id == sa.bindparam("rid"))
        .values({f.column_name: sa.bindparam("v")}),
        [{"rid": rid, "v": v} for (rid, _), v in zip(rows, numbers, strict=True)],
    )


def stored_values(conn: sa.Connection, s: TableSchema, f: Field) -> list[tuple[int, Any]]:
    """(record id, stored value) of every record, live or in the recycle bin, with a value."""
    col = s.column(f)
    rows = conn.execute(sa.select(s.sa_table.c.id, col).where(col.is_not(None)))
    return [(rid, v) for rid, v in rows]


def write_values(conn: sa.Connection, s: TableSchema, f: Field, values: list[dict]) -> None:
    """Write ``{"rid": record id, "v": value}`` into ``f``'s column."""
    conn.execute(
        sa.update(s.sa_table)
        .where(s.sa_table.c.id == sa.bindparam("rid"))
        .values({f.column_name: sa.bindparam("v")}),
        values,
    )
