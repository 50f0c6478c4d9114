"""Unique fields: a write's values must differ from each other and from every other live
record's (a sensitive field compared by its blind index); one query per field per batch."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa

from cairn.core import FieldErrors, Invalid, Message
from cairn.meta.values import identity
from cairn.store import records
from cairn.store.catalog import TableSchema
from cairn.store.record_input import Prepared, prefix_of, shown


def check_unique(
    conn: sa.Connection,
    s: TableSchema,
    items: list[Prepared],
    errors: FieldErrors,
    single: bool,
    leaving: Collection[int] = (),
) -> None:
    """``leaving``: records whose values the write frees (sub-form rows it removes). An
    updated record that does not write a field keeps its value: that one still counts."""
    for f in s.fields:
        if not f.unique or not s.types[f.id].stored:
            continue
        # A sensitive field is compared by its blind index, in Python and in SQL.
        sealer = s.sealers.get(f.id)
        probe = sealer.index if sealer is not None else identity
        seen: dict[Any, int] = {}
        values = []
        for p in items:
            v = p.columns.get(f.id)
            if v is None:
                continue
            k = probe(v)
            if k in seen:
                errors.add(
                    prefix_of(single, p.index) + f.key,
                    Message("field.unique", {"value": shown(s, f, v)}),
                )
            seen[k] = p.index
            values.append(k)
        if not values:
            continue
        updating = [p.record_id for p in items if p.record_id and f.id in p.columns]
        updating += leaving
        existing = records.existing_values(conn, s, f, values, updating)
        for p in items:
            v = p.columns.get(f.id)
            if v is not None and (k := probe(v)) in existing and existing[k] != p.record_id:
                errors.add(
                    prefix_of(single, p.index) + f.key,
                    Message("field.unique", {"value": shown(s, f, v)}),
                )


def check_restorable(conn: sa.Connection, s: TableSchema, row: Any, record_id: int) -> None:
    """A deleted record comes back only when no live record took its unique values since."""
    for f in s.fields:
        if f.unique and s.type_of(f).stored:
            column = f.index_column_name if f.id in s.sealers else f.column_name
            value = row._mapping[column]
            if value is not None and records.existing_values(conn, s, f, [value], [record_id]):
                raise Invalid.on(f.key, "record.unique_conflict", field=f.name)
