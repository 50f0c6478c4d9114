"""Relations in SQL: lookups and rollups as correlated scalar subqueries, relation filters as
EXISTS over the junction, and the batched loads of links and linked records for a page.

A relation's links live in the junction ``j_<id>`` (``src_id``, ``dst_id``); the reverse side
reads the same junction the other way round (``junction_sides``). Only live target records
(``deleted_at IS NULL``) count. A sub-form reaches its rows the same way, through their
``parent_id`` instead of a junction, in ``position`` order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cairn.meta import PUBLIC_SYSTEM_FIELDS, Field, junction_sides
from cairn.query.dialects import JsonArrayAgg
from cairn.query.operators import Linked
from cairn.query.operators.base import Where
from cairn.query.tree import invalid
from cairn.store.catalog import Catalog, TableSchema

MAX_NESTING = 4
CHUNK = 500

FromClause = sa.Table | sa.Alias | sa.TableClause


@dataclass(frozen=True)
class Links:
    """The links of one relation field seen from the rows of ``source``."""

    target: TableSchema
    target_rows: Any  # an alias of the target record table
    from_clause: Any  # junction JOIN target
    where: sa.ColumnElement[bool]  # this side = source.id AND target live
    source: Any
    #: The order a list of them takes (the target's id; a sub-form's rows: their position).
    order: Any = None

    def select(self, *columns: Any) -> sa.Select[Any]:
        cols = columns or (sa.literal(1),)
        return (
            sa.select(*cols).select_from(self.from_clause).where(self.where).correlate(self.source)
        )


def relation_field(schema: TableSchema, field_id: int | None) -> Field:
    f = schema.by_id.get(field_id or 0)
    if f is None or not f.is_relation:
        raise invalid("field", "expand.field", field=str(field_id))
    return f


def through_field(schema: TableSchema, field_id: int | None) -> Field:
    """The relation or sub-form a lookup or rollup reads through."""
    f = schema.by_id.get(field_id or 0)
    if f is None or not f.reaches_rows:
        raise invalid("field", "expand.field", field=str(field_id))
    return f


def links(catalog: Catalog, relation: Field, source: Any) -> Links:
    """The records ``relation`` (a relation or a sub-form) reaches from the rows of
    ``source``."""
    if relation.is_subform:
        rows = catalog.schema(int(relation.options["table_id"]))
        rt = rows.sa_table.alias()
        where = sa.and_(rt.c.parent_id == source.c.id, rt.c.deleted_at.is_(None))
        return Links(rows, rt, rt, where, source, rt.c.position)
    target = catalog.schema(int(relation.options["target_table_id"]))
    this, other = junction_sides(relation)
    j = catalog.junction(relation).alias()
    tt = target.sa_table.alias()
    join = j.join(tt, j.c[other] == tt.c.id)
    where = sa.and_(j.c[this] == source.c.id, tt.c.deleted_at.is_(None))
    return Links(target, tt, join, where, source, tt.c.id)


def relation_linked(catalog: Catalog, relation: Field, source: Any) -> Linked:
    lk = links(catalog, relation, source)

    def exists(where: Where | None) -> sa.ColumnElement[bool]:
        q = lk.select()
        if where is not None:
            q = q.where(where(lk.target_rows.c.id, lk.target_rows.c.id))
        return q.exists()

    return Linked(exists)


def lookup_linked(catalog: Catalog, schema: TableSchema, field: Field, source: Any) -> Linked:
    relation = through_field(schema, field.options.get("relation_field_id"))
    lk = links(catalog, relation, source)
    target_field = lk.target.by_id.get(int(field.options["target_field_id"]))
    if target_field is None:
        return Linked(lambda _where: sa.false(), value_required=True)
    value = field_expression(catalog, lk.target, target_field, lk.target_rows)

    def exists(where: Where | None) -> sa.ColumnElement[bool]:
        q = lk.select()
        if where is not None:
            q = q.where(where(lk.target_rows.c.id, value))
        return q.exists()

    return Linked(exists, value_required=True, target=(lk.target, target_field))


def field_expression(
    catalog: Catalog,
    schema: TableSchema,
    field: Field,
    source: Any = None,
    _depth: int = 0,
    clock: Any = None,
) -> sa.ColumnElement[Any]:
    """The value of ``field`` for the rows of ``source`` (the record table or an alias of it):
    its column, or for a lookup or rollup a correlated scalar subquery."""
    source = schema.sa_table if source is None else source
    ft = schema.types[field.id]
    if ft.stored:
        return source.c[field.column_name]
    if field.is_formula:
        # cycle: cairn.query.formula imports this module (field_expression, links)
        from cairn.query.formula import formula_field_expression

        return formula_field_expression(catalog, schema, field, source, clock)[0]
    if _depth >= MAX_NESTING or not field.is_computed:
        raise invalid("field", "sort.field", field=field.key)
    relation = through_field(schema, field.options.get("relation_field_id"))
    lk = links(catalog, relation, source)
    target_id = field.options.get("target_field_id")
    target_field = lk.target.by_id.get(int(target_id)) if target_id else None
    if field.is_rollup:
        function = field.options.get("function", "count")
        if function == "count" or target_field is None:
            if function != "count":
                return sa.null()
            return lk.select(sa.func.count()).scalar_subquery()
        value = field_expression(catalog, lk.target, target_field, lk.target_rows, _depth + 1)
        agg = getattr(sa.func, function)(value)
        if function == "sum":
            agg = sa.func.coalesce(agg, 0)
        return lk.select(agg).scalar_subquery()
    # lookup
    if target_field is None:
        return sa.null()
    value = field_expression(catalog, lk.target, target_field, lk.target_rows, _depth + 1)
    if not relation.options.get("multiple", True):
        return lk.select(value).order_by(lk.order).limit(1).scalar_subquery()
    return JsonArrayAgg(value, lk.order, lk.select(lk.target_rows.c.id))


def record_columns(
    catalog: Catalog,
    schema: TableSchema,
    fields: Sequence[Field] | None = None,
    clock: Any = None,
) -> list[sa.ColumnElement[Any]]:
    """The public system columns, the stored columns of ``fields`` (all when None) and the
    lookups, rollups and formulas among them, labelled ``f_<field id>`` (a formula as the text
    a record shows, see ``query.formula.formula_display``)."""
    t = schema.sa_table
    cols: list[sa.ColumnElement[Any]] = [t.c[name] for name in PUBLIC_SYSTEM_FIELDS]
    for f in schema.fields if fields is None else fields:
        ft = schema.types[f.id]
        if ft.stored:
            cols.append(t.c[f.column_name])
        elif f.is_formula:
            # cycle: cairn.query.formula imports this module (field_expression, links)
            from cairn.query.formula import formula_display

            cols.append(formula_display(catalog, schema, f, None, clock).label(f.column_name))
        elif f.is_computed:
            cols.append(field_expression(catalog, schema, f).label(f.column_name))
    return cols


def load_links(
    conn: sa.Connection,
    catalog: Catalog,
    schema: TableSchema,
    relation_fields: Iterable[Field],
    record_ids: Sequence[int],
) -> dict[int, dict[int, list[int]]]:
    """``{field id: {record id: [linked live target ids, ascending]}}`` for a page of records:
    one query per relation field (in chunks of 500 ids), never one per record."""
    out: dict[int, dict[int, list[int]]] = {}
    ids = list(dict.fromkeys(record_ids))
    for f in relation_fields:
        relation = relation_field(schema, f.id)
        target = catalog.schema(int(relation.options["target_table_id"]))
        this, other = junction_sides(relation)
        j = catalog.junction(relation)
        tt = target.sa_table
        per: dict[int, list[int]] = {rid: [] for rid in ids}
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            q = (
                sa.select(j.c[this], j.c[other])
                .select_from(j.join(tt, j.c[other] == tt.c.id))
                .where(j.c[this].in_(chunk), tt.c.deleted_at.is_(None))
                .order_by(j.c[this], j.c[other])
            )
            for src, dst in conn.execute(q):
                per[src].append(dst)
        out[f.id] = per
    return out


def expand_records(
    conn: sa.Connection,
    catalog: Catalog,
    schema: TableSchema,
    field: Field,
    target_ids: Iterable[int],
    fields: Sequence[str] | None = None,
) -> dict[int, sa.RowMapping]:
    """The live target records of relation ``field`` with these ids, ``{id: row}``, selected
    with the same columns as a page of the target table (``fields``: keys, None for all)."""
    if not field.is_relation or schema.by_id.get(field.id) is None:
        raise invalid("expand", "expand.field", field=field.key)
    target = catalog.schema(int(field.options["target_table_id"]))
    chosen = None
    if fields is not None:
        unknown = [k for k in fields if k not in target.by_key]
        if unknown:
            raise invalid("fields", "field.unknown", key=unknown[0])
        chosen = [target.by_key[k] for k in fields]
    ids = list(dict.fromkeys(target_ids))
    t = target.sa_table
    out: dict[int, sa.RowMapping] = {}
    cols = record_columns(catalog, target, chosen)
    for start in range(0, len(ids), CHUNK):
        q = (
            sa.select(*cols)
            .where(t.c.id.in_(ids[start : start + CHUNK]), t.c.deleted_at.is_(None))
            .order_by(t.c.id)
        )
        for row in conn.execute(q):
            out[row.id] = row._mapping
    return out
