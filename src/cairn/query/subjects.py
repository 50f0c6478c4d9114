"""What a filter or sort names: a field key (or system column) resolved to its ``Subject``,
the SQL expression that reads it and how it behaves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cairn.meta import Field, FieldType
from cairn.meta.fieldtypes.formula import operator_stand_in
from cairn.query.expand import field_expression, lookup_linked, relation_linked
from cairn.query.operators import Linked
from cairn.query.tree import invalid
from cairn.store.catalog import Catalog, TableSchema

#: System columns a filter or sort may name, with the field type they behave as.
SYSTEM_FIELD_TYPES = {
    "id": "number",
    "version": "number",
    "created_at": "datetime",
    "updated_at": "datetime",
    "created_by": "user",
    "owner_id": "user",
}
#: What a filter or sort may name besides on the table of a sub-form's rows: the parent
#: record's id and the row's place in its list.
ROW_FIELD_TYPES = {"parent_id": "number", "position": "number"}


def sensitive_target(catalog: Catalog, schema: TableSchema, f: Field) -> Field | None:
    """The sensitive field ``f`` is or shows (a lookup of one), None when it shows none."""
    if f.sensitive and f.id in schema.sealers:
        return f
    if f.is_lookup:
        target = catalog.all_fields.get(int(f.options.get("target_field_id") or 0))
        if target is not None and target.sensitive:
            return target
    return None


def note_use(used: dict[int, str], s: Subject, expr: Any = None) -> None:
    """Remember a stored field whose bare column a filter or sort used (an index would serve)."""
    f, ft = s.field, s.field_type
    if f.id and ft.indexed and ft.stored and s.linked is None:
        column = s.expr if expr is None else expr
        if isinstance(column, sa.Column) and column.name == f.column_name:
            used[f.id] = f.column_name


def bare_column(s: Subject, expr: Any = None) -> tuple[int, str] | None:
    """(field id, column) when the subject is a stored field of the table read as its bare
    column (what a composite index can hold: any sortable type, few values or many)."""
    f, ft = s.field, s.field_type
    if not f.id or not ft.stored or not ft.sortable or s.linked is not None:
        return None
    column = s.expr if expr is None else expr
    if isinstance(column, sa.Column) and column.name == f.column_name:
        return f.id, f.column_name
    return None


@dataclass(frozen=True)
class Subject:
    """What a filter or sort names: a field (or system column) and how to read it in SQL."""

    key: str
    field: Field
    field_type: FieldType
    expr: sa.ColumnElement[Any]
    value_type: str
    linked: Linked | None
    sortable: bool


def resolve(
    catalog: Catalog, schema: TableSchema, key: str, loc: str, source: Any = None, clock: Any = None
) -> Subject:
    source = schema.sa_table if source is None else source
    if key in SYSTEM_FIELD_TYPES or (schema.parent is not None and key in ROW_FIELD_TYPES):
        ft = catalog.field_types.get(SYSTEM_FIELD_TYPES.get(key) or ROW_FIELD_TYPES[key])
        pseudo = Field(id=0, table_id=schema.id, key=key, name=key, type=ft.key)
        return Subject(key, pseudo, ft, source.c[key], ft.value_type, None, True)
    f = schema.by_key.get(key)
    if f is None:
        raise invalid(loc, "field.unknown", key=key)
    ft = schema.types[f.id]
    if f.is_relation:
        linked = relation_linked(catalog, f, source)
        return Subject(key, f, ft, source.c.id, "relation", linked, False)
    if f.is_formula:
        pseudo = operator_stand_in(f)
        borrowed = catalog.field_types.get(pseudo.type)
        expr = field_expression(catalog, schema, f, source, clock=clock)
        return Subject(key, pseudo, borrowed, expr, borrowed.value_type, None, True)
    if f.is_lookup:
        linked = lookup_linked(catalog, schema, f, source)
        expr = field_expression(catalog, schema, f, source)
        return Subject(key, f, ft, expr, ft.value_type, linked, False)
    if ft.stored or f.is_computed:
        expr = field_expression(catalog, schema, f, source)
        sortable = ft.sortable and f.id not in schema.sealers
        return Subject(key, f, ft, expr, ft.value_type, None, sortable)
    return Subject(key, f, ft, sa.null(), ft.value_type, None, False)
