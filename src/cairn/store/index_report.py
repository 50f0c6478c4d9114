"""A table's indexes as administrators see them: which exist, why, how big, when last used; and
the shapes of recent page queries with the index that serves each, or why none does.

Reasons a query (or part of it) has no index (``reasons``):

- ``contains``: a text search (``contains``, ``starts_with``): no B-tree index serves it;
- ``formula``: a formula (or formula field) the database evaluates row by row;
- ``negation``: ``≠``, ``not in`` or a NOT: it selects most rows, an index would not help;
- ``or``: an OR group: each side would need its own index;
- ``few_values``: one field of few values (a choice, a checkbox): a scan that stops at the
  page's end is cheaper than keeping an index up to date;
- ``small_table``: the table is below ``min_rows``: a scan is cheap;
- ``cap``: the table has its ``max_per_table`` automatic indexes;
- ``pending``: the index is being learnt (``after_uses`` queries) or built.

Recent shapes are the ones this process saw (each process keeps its own, in memory).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.store import auto_indexes
from cairn.store.catalog import TableSchema
from cairn.store.index_advisor import IndexAdvisor, SeenShape, naive_utc
from cairn.store.index_inspect import IndexFacts, table_indexes
from cairn.store.index_shapes import fit
from cairn.store.indexes import approximate_rows, automatic

#: The automatic kinds by the letter after ``ix_t<table>_``.
_KIND_LETTERS = {"f": "plain", "g": "group", "o": "scoped", "w": "owner", "c": "composite"}


def describe(conn: sa.Connection, schema: TableSchema, advisor: IndexAdvisor) -> dict[str, Any]:
    facts = table_indexes(conn, schema.id)
    registered = {r.name: r for r in auto_indexes.of_table(conn, schema.id)}
    rows = approximate_rows(conn, schema.id)
    names = _FieldNames(schema)
    policy = advisor.policy
    auto_count = sum(automatic(schema.id, f.name) for f in facts)
    indexes = []
    for f in facts:
        reg = registered.get(f.name)
        auto = automatic(schema.id, f.name)
        item: dict[str, Any] = {
            "name": f.name,
            "columns": [names.column(c) for c in f.columns],
            "origin": "automatic" if auto else "declared",
            "kind": _kind(schema.id, f),
            "unique": f.unique,
            "size_bytes": f.size_bytes,
            "scans": f.scans,
        }
        if reg is not None:
            item |= {
                "shape": names.shape(reg.shape),
                "uses": reg.uses,
                "created_at": _at(reg.created_at),
                "last_used_at": _at(reg.last_used_at),
            }
        indexes.append(item)
    context = {"rows": rows, "capped": auto_count >= policy.max_per_table}
    return {
        "table": schema.table.key,
        "rows": rows,
        "indexes": indexes,
        "queries": [
            _query(seen, facts, schema, names, context, policy.min_rows)
            for seen in advisor.recent(schema.id)
        ],
        "policy": {
            "after_uses": policy.after_uses,
            "min_rows": policy.min_rows,
            "max_per_table": policy.max_per_table,
            "unused_days": policy.unused_days,
        },
        "automatic_count": auto_count,
    }


def _at(value: datetime | None) -> str | None:
    """UTC, ISO 8601 with a Z."""
    return None if value is None else naive_utc(value).isoformat(timespec="seconds") + "Z"


def _kind(table_id: int, f: IndexFacts) -> str:
    if f.primary:
        return "primary"
    if automatic(table_id, f.name):
        return _KIND_LETTERS[f.name[len(f"ix_t{table_id}_")]]
    if f.name.startswith(f"ux_t{table_id}_"):
        return "unique"
    if f.name.startswith(f"ix_t{table_id}_b"):
        return "sensitive"
    if f.name == f"ix_t{table_id}_owner":
        return "record_owner"
    if f.name == f"ix_t{table_id}_parent":
        return "subform_rows"
    return "unique" if f.unique else "other"


def _query(
    seen: SeenShape,
    facts: list[IndexFacts],
    schema: TableSchema,
    names: _FieldNames,
    context: dict[str, Any],
    min_rows: int,
) -> dict[str, Any]:
    shape = seen.shape
    best, score = None, 0
    for f in facts:
        n = fit(f.columns, shape)
        if n > score:
            best, score = f.name, n
    wanted = shape.composite()
    needed = len(wanted) or (1 if (shape.eq or shape.ranges or shape.sort) else 0)
    reasons = list(dict.fromkeys(shape.unserved))
    if score < needed:
        fields = {c[0] for c in (*shape.eq, *shape.ranges)} | (
            {shape.sort[0]} if shape.sort else set()
        )
        few = not wanted and all(not schema.types[i].indexed for i in fields if i in schema.types)
        if few:
            reasons.append("few_values")
        elif context["rows"] < min_rows:
            reasons.append("small_table")
        elif context["capped"]:
            reasons.append("cap")
        else:
            reasons.append("pending")
    return {
        "shape": names.shape(shape.as_json()),
        "count": seen.count,
        "last_seen": _at(seen.last_seen),
        "index": best,
        "complete": score >= needed and not shape.unserved,
        "reasons": reasons,
    }


class _FieldNames:
    """Columns and field ids shown by the field's name (a deleted field: by its id)."""

    def __init__(self, schema: TableSchema) -> None:
        self.by_column: dict[str, tuple[str, str]] = {}
        self.by_id: dict[int, str] = {}
        for f in schema.fields:
            self.by_id[f.id] = f.name
            self.by_column[f.column_name] = (f.key, f.name)
            if f.sensitive:
                self.by_column[f.index_column_name] = (f.key, f.name)

    def column(self, column: str) -> dict[str, Any]:
        key, name = self.by_column.get(column, (None, column))
        return {"column": column, "field": key, "name": name}

    def field(self, field_id: int | None) -> str | None:
        return None if field_id is None else self.by_id.get(field_id, f"#{field_id}")

    def shape(self, raw: dict[str, Any]) -> dict[str, Any]:
        """A stored or seen shape (field ids) with field names."""
        if "field" in raw:  # a single-field kind
            return {
                "eq": [],
                "range": [],
                "sort": None,
                "field": self.field(raw["field"]),
                "unserved": [],
            }
        return {
            "eq": [self.field(i) for i in raw.get("eq", [])],
            "range": [self.field(i) for i in raw.get("range", [])],
            "sort": self.field(raw.get("sort")),
            "field": None,
            "unserved": list(raw.get("unserved", [])),
        }
