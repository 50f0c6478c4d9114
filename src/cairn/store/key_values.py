"""The stored values of a field brought to its identity key's canonical form, when a field is
newly marked as a key or its kind changes (``services.fields``): ``13800138000`` and
``138 0013 8000`` both become ``+8613800138000``, so a match (One-ID, an import's upsert) is
an equality on stored text. A value that is no valid key of the kind stays as it was and is
reported, never lost."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from cairn.meta import BadValue, Field
from cairn.store.catalog import TableSchema
from cairn.store.field_values import batches, check_no_duplicates

#: The invalid values a reply lists (the count holds them all).
SHOWN = 100


def renormalise(
    conn: sa.Connection, s: TableSchema, f: Field, coerce: Callable[[Any], Any]
) -> dict[str, Any]:
    """Rewrite every stored value of ``f`` (live or in the recycle bin) through ``coerce``
    (the field's coercer as it is now: the key's normaliser included), 1,000 rows a query;
    a sealed value is opened and sealed again with its blind index. A unique field whose
    values now collide is refused (the caller's transaction rolls the change back). The
    report: how many values changed, how many are no valid key (the first ``SHOWN`` with
    their record id)."""
    sealer = s.sealers.get(f.id) if f.sensitive else None
    cols = [sa.column("id"), sa.column(f.column_name)]
    if sealer is not None:
        cols.append(sa.column(f.index_column_name))
    t = sa.table(s.table.sql_name, *cols)
    changed = 0
    invalid: list[dict[str, Any]] = []
    count_invalid = 0
    for rows in batches(conn, t, f.column_name):
        params = []
        for rid, stored in rows:
            value = sealer.open(stored) if sealer is not None else stored
            try:
                new = coerce(value)
            except BadValue:
                count_invalid += 1
                if len(invalid) < SHOWN:
                    invalid.append({"id": rid, "value": value})
                continue
            if new == value or new is None:
                continue
            changed += 1
            if sealer is not None:
                ct, bi = sealer.seal(new)
                params.append({"rid": rid, "v": ct, "b": bi})
            else:
                params.append({"rid": rid, "v": new})
        if params:
            values = {f.column_name: sa.bindparam("v")}
            if sealer is not None:
                values[f.index_column_name] = sa.bindparam("b")
            conn.execute(sa.update(t).where(t.c.id == sa.bindparam("rid")).values(values), params)
    if changed and f.unique:
        check_no_duplicates(conn, s, f)
    return {"changed": changed, "invalid": count_invalid, "invalid_values": invalid}
