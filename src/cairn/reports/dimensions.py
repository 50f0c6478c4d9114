"""Dimensions: a reference grouped as it is (select fields by option, relations by record),
by a date bucket in the configured time zone, or by number bins; each shows its values and
turns a value back into the filter that selects its records (drill-down)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from cairn.meta.fieldtypes.choices import SelectBase
from cairn.query.tree import invalid
from cairn.reports.refs import Context, Ref, resolve_ref
from cairn.reports.spec import DimensionSpec
from cairn.reports.sqlparts import bucket, bucket_range, floor_div


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    spec: DimensionSpec
    ref: Ref
    expr: sa.ColumnElement[Any]
    #: SQL for the shown value, grouped with ``expr`` (a relation's display field).
    label_expr: sa.ColumnElement[Any] | None
    #: Option id → option label, for a select field.
    options: dict[str, str] | None

    @property
    def sort_expr(self) -> sa.ColumnElement[Any]:
        return self.expr

    def show(self, value: Any, label: Any = None) -> str | None:
        """The value as a user reads it."""
        if value is None:
            return None
        if self.options is not None:
            return self.options.get(str(value), str(value))
        if self.label_expr is not None:
            return None if label is None else str(label)
        if self.spec.bin is not None:
            return f"{_num(value)}–{_num(value + self.spec.bin)}"
        if isinstance(value, bool):
            return "✓" if value else "✗"
        return str(plain(value))


def plain(value: Any) -> Any:
    """A JSON-ready value: decimals as numbers, dates and datetimes as ISO text."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _num(value: Any) -> str:
    v = plain(value)
    return f"{v:g}" if isinstance(v, float) else str(v)


def default_key(spec: DimensionSpec) -> str:
    base = spec.field.replace(".", "_")
    return f"{base}_{spec.bucket}" if spec.bucket else base


def build_dimension(ctx: Context, spec: DimensionSpec, loc: str) -> Dimension:
    ref = resolve_ref(ctx, spec.field, f"{loc}.field")
    vt = ref.value_type
    expr = ref.expr
    options = None
    if spec.bucket is not None or vt in ("date", "datetime"):
        if vt not in ("date", "datetime"):
            raise invalid(f"{loc}.bucket", "report.bucket_type", field=spec.field)
        unit = spec.bucket or "day"
        spec = spec.model_copy(update={"bucket": unit})
        expr = bucket(ref.expr, unit, ctx.dialect, ctx.zone, vt == "datetime")
    elif spec.bin is not None:
        if vt != "number":
            raise invalid(f"{loc}.bin", "report.bin_type", field=spec.field)
        expr = floor_div(ref.expr, spec.bin) * sa.literal(float(spec.bin), sa.Float)
    elif isinstance(ref.field_type, SelectBase):
        options = SelectBase.maps(ref.field)[1]
    key = spec.key or default_key(spec)
    return Dimension(key, spec.label or ref.field.name, spec, ref, expr, ref.label_expr, options)


def option_position(d: Dimension, col: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """Sort a select dimension in the order its options are defined, others by value."""
    if d.options is not None and isinstance(d.ref.field_type, SelectBase):
        return d.ref.field_type.position_expression(d.ref.field, col)
    return col


def drill_condition(conn: sa.Connection, ctx: Context, d: Dimension, value: Any) -> Any:
    """The filter node selecting the records whose dimension ``d`` has ``value``."""
    ref = d.ref
    spec = d.spec
    if ref.relation is not None and ref.field.id != ref.relation.id and ref.target_rows is not None:
        return _through_relation(conn, ctx, d, value)
    key = ref.key
    if value is None:
        return {"field": key, "op": "is_empty"}
    if ref.value_type == "relation":
        return {"field": key, "op": "in", "value": [value]}
    if spec.bucket is not None:
        start, end = bucket_range(spec.bucket, str(value))
        return {
            "and": [
                {"field": key, "op": "gte", "value": start.isoformat()},
                {"field": key, "op": "lt", "value": end.isoformat()},
            ]
        }
    if spec.bin is not None:
        return {
            "and": [
                {"field": key, "op": "gte", "value": plain(value)},
                {"field": key, "op": "lt", "value": plain(value + spec.bin)},
            ]
        }
    return {"field": key, "op": "eq", "value": plain(value)}


MAX_DRILL_IDS = 10_000


def _through_relation(conn: sa.Connection, ctx: Context, d: Dimension, value: Any) -> Any:
    """A value of the linked record's field: the records linked to the targets that hold it
    (found in SQL), or for a blank value also the records linked to none."""
    ref = d.ref
    assert ref.relation is not None and ref.target is not None
    inner = Context(ctx.catalog, ref.target, ctx.clock, ctx.dialect)
    target_spec = d.spec.model_copy(update={"field": ref.field.key, "key": None})
    target_dim = build_dimension(inner, target_spec, "drill")
    t = ref.target.sa_table
    cond = target_dim.expr.is_(None) if value is None else target_dim.expr == value
    ids = [
        r[0]
        for r in conn.execute(
            sa.select(t.c.id)
            .where(t.c.deleted_at.is_(None), cond)
            .order_by(t.c.id)
            .limit(MAX_DRILL_IDS + 1)
        )
    ]
    if len(ids) > MAX_DRILL_IDS:
        raise invalid("cell", "report.drill_too_wide", max=MAX_DRILL_IDS)
    rel = ref.relation.key
    linked: Any = {"field": rel, "op": "in", "value": ids}
    if not ids:  # no target holds it: a condition nothing meets
        linked = {"and": [{"field": rel, "op": "is_empty"}, {"field": rel, "op": "is_not_empty"}]}
    if value is None:
        return {"or": [{"field": rel, "op": "is_empty"}, linked]}
    return linked
