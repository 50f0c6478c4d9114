"""Conditions and action values over one record, computed by the database: the same SQL the
formula compiler gives filters and formula fields (lookups and rollups included), one query
per run for every formula the rule uses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from cairn.core import Clock
from cairn.formula import Formula, FormulaError
from cairn.query.formula import compile_text, formula_compiled
from cairn.store.catalog import Catalog, TableSchema

CONDITION = "condition"


def condition_formula(catalog: Catalog, schema: TableSchema, text: str, loc: str) -> Formula:
    """A condition: boolean (a number counts as ``<> 0``), else refused."""
    f = compile_text(catalog, schema, text, loc)
    if f.type.kind == "number":
        f = compile_text(catalog, schema, f"({text}) <> 0", loc)
    if f.type.kind not in ("boolean", "blank"):
        raise FormulaError("formula.not_boolean", f.tree.span, loc)
    return f


def evaluate(
    conn: sa.Connection,
    catalog: Catalog,
    schema: TableSchema,
    record_id: int,
    formulas: dict[str, Formula],
    clock: Clock,
) -> dict[str, Any] | None:
    """name → value (an error value as its code, e.g. ``#DIV/0!``); None: no such record."""
    return evaluate_many(conn, catalog, schema, [record_id], formulas, clock).get(record_id)


#: Record ids per query of ``evaluate_many`` (below every database's parameter limit).
CHUNK = 500


def evaluate_many(
    conn: sa.Connection,
    catalog: Catalog,
    schema: TableSchema,
    record_ids: Sequence[int],
    formulas: dict[str, Formula],
    clock: Clock,
) -> dict[int, dict[str, Any]]:
    """``evaluate`` for many records with one query per ``CHUNK`` of them: record id → its
    values; a record that does not exist is not in the result."""
    t = schema.sa_table
    names = list(formulas)
    cols: list[Any] = [t.c.id]
    for i, name in enumerate(names):
        value, error = formula_compiled(catalog, schema, formulas[name], t, clock, name)
        cols.append(value.label(f"v{i}"))
        cols.append((error if error is not None else sa.null()).label(f"e{i}"))
    ids = list(dict.fromkeys(record_ids))
    out: dict[int, dict[str, Any]] = {}
    for k in range(0, len(ids), CHUNK):
        part = ids[k : k + CHUNK]
        where = t.c.id == part[0] if len(part) == 1 else t.c.id.in_(part)
        for row in conn.execute(sa.select(*cols).where(where)):
            values: dict[str, Any] = {}
            for i, name in enumerate(names):
                err = row[2 + 2 * i]
                values[name] = err if err is not None else _plain(row[1 + 2 * i], formulas[name])
            out[row[0]] = values
    return out


def truth(value: Any) -> bool:
    """A condition's result: TRUE only (blank, FALSE and errors are not met)."""
    return value is True or (value == 1 and not isinstance(value, str))


def _plain(v: Any, f: Formula) -> Any:
    kind = f.type.kind
    if v is None:
        return None
    if kind == "boolean":
        return bool(v)
    if kind in ("number", "duration"):
        if isinstance(v, Decimal):
            fl = float(v)
            return int(fl) if fl.is_integer() else fl
        if isinstance(v, float) and v.is_integer():
            return int(v)
        return v
    if kind == "date":
        return v.isoformat() if isinstance(v, date) else str(v)[:10]
    if kind == "datetime":
        return v.isoformat(sep=" ", timespec="seconds") if isinstance(v, datetime) else str(v)
    return v
