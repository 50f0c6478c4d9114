"""Field references of a dataset as SQL: a field of the table, a system column, a relation
(the linked record) or a field of the linked record (``customer.province``).

A relation is read through LEFT OUTER JOINs (junction, then the live target), added once per
relation to the query's FROM: a record linked to several targets counts under each.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from cairn.core import Clock
from cairn.meta import Field, FieldType, junction_sides
from cairn.query import field_expression
from cairn.query.formula import formula_field_expression
from cairn.query.tree import invalid
from cairn.store.catalog import Catalog, TableSchema

SYSTEM_FIELD_TYPES = {
    "id": "number",
    "created_at": "datetime",
    "updated_at": "datetime",
    "created_by": "user",
    "owner_id": "user",
}
#: Types a dataset cannot group or aggregate by (their values are documents or lists).


@dataclass(frozen=True)
class Ref:
    """A named value: its SQL, its field and type, and the relation it came through."""

    key: str
    field: Field
    field_type: FieldType
    value_type: str
    expr: sa.ColumnElement[Any]
    schema: TableSchema
    relation: Field | None = None
    #: The target's display value, for a relation named by itself.
    label_expr: sa.ColumnElement[Any] | None = None
    target: TableSchema | None = None
    target_rows: Any = None


@dataclass
class Context:
    """What building one dataset query needs; collects the joins its references ask for."""

    catalog: Catalog
    schema: TableSchema
    clock: Clock
    dialect: str
    hidden: Collection[str] = ()
    #: Per linked table, the keys of its fields not to be read through a relation.
    related_hidden: Callable[[TableSchema], Collection[str]] | None = None
    joins: dict[int, tuple[TableSchema, Any, Any]] = field(default_factory=dict)
    #: The keys of ``hidden`` the caller sees masked: refused with that reason, not as unknown.
    masked: Collection[str] = ()

    @property
    def zone(self) -> str:
        return self.catalog.ctx.timezone.key

    def from_clause(self) -> Any:
        t = self.schema.sa_table
        out: Any = t
        for _target, j, tt, on_j, on_t in self._join_parts():
            out = out.outerjoin(j, on_j).outerjoin(tt, on_t)
        return out

    def _join_parts(self) -> list[tuple[Any, ...]]:
        parts = []
        for fid, (target, j, tt) in self.joins.items():
            relation = self.schema.by_id[fid]
            this, other = junction_sides(relation)
            parts.append(
                (
                    target,
                    j,
                    tt,
                    j.c[this] == self.schema.sa_table.c.id,
                    sa.and_(tt.c.id == j.c[other], tt.c.deleted_at.is_(None)),
                )
            )
        return parts

    def join(self, relation: Field) -> tuple[TableSchema, Any]:
        """The target schema and its joined alias for ``relation`` (joined once)."""
        if relation.id not in self.joins:
            target = self.catalog.schema(int(relation.options["target_table_id"]))
            j = self.catalog.junction(relation).alias(f"rj{relation.id}")
            tt = target.sa_table.alias(f"rt{relation.id}")
            self.joins[relation.id] = (target, j, tt)
        target, _j, tt = self.joins[relation.id]
        return target, tt


def resolve_ref(ctx: Context, key: Any, loc: str) -> Ref:
    """The reference ``key`` names in ``ctx.schema``; hidden fields are unknown fields."""
    if not isinstance(key, str) or not key:
        raise invalid(loc, "field.unknown", key=str(key))
    head, _, rest = key.partition(".")
    if head in ctx.hidden:
        raise unreadable(ctx, head, loc)
    s = ctx.schema
    cat = ctx.catalog
    # A sub-form's rows group by their parent record too (``parent_id``).
    if not rest and (head in SYSTEM_FIELD_TYPES or (head == "parent_id" and s.parent)):
        ft = cat.field_types.get(SYSTEM_FIELD_TYPES.get(head, "number"))
        pseudo = Field(id=0, table_id=s.id, key=head, name=head, type=ft.key)
        return Ref(head, pseudo, ft, ft.value_type, s.sa_table.c[head], s)
    f = s.by_key.get(head)
    if f is None:
        raise invalid(loc, "field.unknown", key=head)
    ft = s.types[f.id]
    if f.is_relation:
        target, tt = ctx.join(f)
        off_limits = ctx.related_hidden(target) if ctx.related_hidden else ()
        if rest and rest in off_limits:
            raise invalid(loc, "field.unknown", key=key)
        if not rest:
            display = target.display_field
            label = None
            if (
                display is not None
                and target.types[display.id].stored
                and display.key not in off_limits
                and not display.sensitive  # ciphertext to SQL: no label
            ):
                label = tt.c[display.column_name]
            return Ref(key, f, ft, "relation", tt.c.id, s, f, label, target, tt)
        tf = target.by_key.get(rest)
        if tf is None or rest in SYSTEM_FIELD_TYPES:
            if rest in SYSTEM_FIELD_TYPES:
                tft = cat.field_types.get(SYSTEM_FIELD_TYPES[rest])
                pseudo = Field(id=0, table_id=target.id, key=rest, name=rest, type=tft.key)
                return Ref(
                    key, pseudo, tft, tft.value_type, tt.c[rest], target, f, None, target, tt
                )
            raise invalid(loc, "field.unknown", key=key)
        tft = target.types[tf.id]
        _refuse_sensitive(cat, tf, key, loc)
        if tf.is_relation or not tft.groupable or not tft.stored:
            raise invalid(loc, "report.field_type", field=key, type=tf.type)
        expr = field_expression(cat, target, tf, tt)
        return Ref(key, tf, tft, tft.value_type, expr, target, f, None, target, tt)
    if rest:
        raise invalid(loc, "field.unknown", key=key)
    _refuse_sensitive(cat, f, key, loc)
    if not ft.groupable or not (ft.stored or f.is_rollup):
        raise invalid(loc, "report.field_type", field=key, type=f.type)
    return Ref(key, f, ft, ft.value_type, field_expression(cat, s, f), s)


#: A formula's result types a measure reads as numbers (sum, average, min, max).
FORMULA_NUMBERS = frozenset({"number", "duration"})


def resolve_value(ctx: Context, key: Any, loc: str) -> Ref:
    """What a measure aggregates: a reference as ``resolve_ref`` gives it, or a field of the
    table computed when read that holds one number per record: a formula (its compiled SQL,
    the grid's filter and sort expression; typed by its result: a text formula is "text") or
    a lookup through a single relation. A field hidden from the caller is unknown, a masked
    one masked, as everywhere (a formula reading a hidden or masked field is hidden itself:
    ``auth.guard``)."""
    head = key if isinstance(key, str) else ""
    f = ctx.schema.by_key.get(head) if head not in ctx.hidden else None
    if f is None or not (f.is_formula or f.is_lookup):
        return resolve_ref(ctx, key, loc)
    cat = ctx.catalog
    ft = ctx.schema.types[f.id]
    _refuse_sensitive(cat, f, key, loc)
    if f.is_formula:
        result = f.options.get("result_type", "blank")
        vt = "number" if result in FORMULA_NUMBERS else result
        expr = formula_field_expression(cat, ctx.schema, f, None, ctx.clock)[0]
        return Ref(key, f, ft, vt, expr, ctx.schema)
    relation = ctx.schema.by_id.get(int(f.options.get("relation_field_id") or 0))
    target = cat.all_fields.get(int(f.options.get("target_field_id") or 0))
    if relation is None or target is None or relation.options.get("multiple", True):
        raise invalid(loc, "report.field_type", field=key, type=f.type)
    target_type = cat.schema(target.table_id).types[target.id]
    if target_type.value_type != "number":  # one number per record, or none to aggregate
        raise invalid(loc, "report.field_type", field=key, type=f.type)
    return Ref(key, f, ft, "number", field_expression(cat, ctx.schema, f), ctx.schema)


def unreadable(ctx: Context, key: str, loc: str) -> Exception:
    """The error for a field the caller may not read: a masked field (which they see, masked)
    says so; a hidden one is unknown, as everywhere."""
    if key in ctx.masked:
        return invalid(loc, "report.field_masked", field=key)
    return invalid(loc, "field.unknown", key=key)


def _refuse_sensitive(cat: Catalog, f: Field, key: str, loc: str) -> None:
    """A sensitive field (or a lookup of one) is ciphertext to SQL: reports cannot use it."""
    if f.is_lookup:
        f = cat.all_fields.get(int(f.options.get("target_field_id") or 0)) or f
    if f.sensitive:
        raise invalid(loc, "report.sensitive_field", field=key)
