"""Dataset queries: table + filter + dimensions + measures + sort + limit → one SELECT.

``DatasetBuilder`` checks a spec's pieces (dimensions, measures, filters) for one caller and
runs the query that ``dataset_select`` builds; ``DatasetResult`` holds its rows and ``pivot``
lays them out as rows × columns. The caller's row scope (``Scope.where``) is ANDed with the
filter, and its hidden fields are unknown fields everywhere (dimensions, measures, filters,
sort).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from cairn.core import Clock, Invalid, Message
from cairn.query import parse_filter
from cairn.query.compile import FilterCompiler
from cairn.query.formula import find_field
from cairn.query.tree import invalid
from cairn.reports.aggregations import Aggregation, AggregationRegistry
from cairn.reports.dataset_select import Measure, dataset_select
from cairn.reports.dimensions import Dimension, build_dimension, drill_condition, plain
from cairn.reports.measureformula import split
from cairn.reports.refs import Context, resolve_ref, resolve_value
from cairn.reports.scope import EVERYTHING, Scope, check_hidden
from cairn.reports.spec import DatasetSpec, MeasureSpec
from cairn.reports.sqlparts import duration
from cairn.store import fastread
from cairn.store.catalog import Catalog, TableSchema


@dataclass
class DatasetPlan:
    """A dataset's built query. ``reusable``: nothing in it depends on the clock (relative
    dates, formulas), so the same spec on the same schema may run it again."""

    select: sa.Select[Any]
    dims: list[Dimension]
    measures: list[Measure]
    limit: int
    grouped: dict[int, str]
    reusable: bool
    #: The statement prepared once for a kept plan (``store.fastread``; False: through Core).
    prepared: Any = field(default=None, repr=False, compare=False)

    def rows(self, conn: sa.Connection, kept: bool) -> Any:
        if not kept:
            return conn.execute(self.select)
        rows, self.prepared = fastread.run(conn, self.select, self.prepared)
        return rows


@dataclass
class DatasetResult:
    dimensions: list[Dimension]
    measures: list[Measure]
    #: (dimension values, dimension labels, measure values) per group.
    rows: list[tuple[tuple[Any, ...], tuple[str | None, ...], tuple[Any, ...]]]
    truncated: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "dimensions": [
                {"key": d.key, "label": d.label, "field": d.spec.field} for d in self.dimensions
            ],
            "measures": [{"key": m.key, "label": m.label} for m in self.measures],
            "rows": [
                {"keys": [plain(k) for k in keys], "labels": list(labels), "values": list(values)}
                for keys, labels, values in self.rows
            ],
            "truncated": self.truncated,
        }

    def column(self, key: str) -> list[Any]:
        i = [m.key for m in self.measures].index(key)
        return [r[2][i] for r in self.rows]


class DatasetBuilder:
    """Builds and runs dataset queries over one table for one caller."""

    def __init__(
        self,
        catalog: Catalog,
        schema: TableSchema,
        clock: Clock,
        dialect: str,
        aggregations: AggregationRegistry,
        scope: Scope = EVERYTHING,
    ) -> None:
        self.ctx = Context(
            catalog,
            schema,
            clock,
            dialect,
            scope.hidden_for(schema),
            scope.related_hidden_for,
            masked=scope.masked_for(schema),
        )
        self.schema = schema
        self.aggregations = aggregations
        self.scope = scope
        #: Field id → column of the base table's fields the last ``run`` grouped by (what the
        #: platform's automatic group indexes are built from).
        self.grouped: dict[int, str] = {}
        #: Whether what was built so far depends on the clock (see ``DatasetPlan``).
        self.clock_dependent = False
        #: Every SELECT built (a result cache reads which tables they read).
        self.statements: list[sa.Select[Any]] = []

    # -- pieces ------------------------------------------------------------------------------
    def condition(self, tree: Any, loc: str) -> sa.ColumnElement[bool] | None:
        node = parse_filter(tree, loc)
        if node is None:
            return None
        check_hidden(node, self.schema, self.scope, self.ctx)
        compiler = FilterCompiler(self.ctx.catalog, self.schema, self.ctx.clock)
        out = compiler.compile(node)
        self.clock_dependent |= compiler.clock_dependent
        return out

    def measure(self, spec: MeasureSpec, loc: str) -> Measure:
        if spec.agg not in self.aggregations:
            raise invalid(f"{loc}.agg", "report.aggregation", agg=spec.agg)
        agg = self.aggregations.get(spec.agg)
        if spec.agg == "formula":
            return self.formula_measure(spec, agg, loc)
        value = None
        label = spec.label
        if spec.field is not None:
            ref = resolve_value(self.ctx, spec.field, f"{loc}.field")
            value, vt = ref.expr, ref.value_type
            self.clock_dependent |= ref.field.is_formula  # TODAY() may be in it
            label = label or ref.field.name
            if spec.since is not None:
                start = resolve_ref(self.ctx, spec.since, f"{loc}.since")
                if {vt, start.value_type} - {"date", "datetime"}:
                    raise invalid(f"{loc}.since", "report.duration_type", field=spec.since)
                value = duration(ref.expr, start.expr, spec.unit, self.ctx.dialect)
                vt = "number"
            if agg.value_types is not None and vt not in agg.value_types:
                raise invalid(
                    f"{loc}.field",
                    "report.measure_type",
                    agg=spec.agg,
                    field=spec.field,
                    type=vt if ref.field.is_formula else ref.field.type,
                )
        elif agg.needs_field:
            raise invalid(f"{loc}.field", "report.measure_field", agg=spec.agg)
        cond = self.condition(spec.filter, f"{loc}.filter")
        key = spec.key or (f"{spec.agg}_{spec.field.replace('.', '_')}" if spec.field else spec.agg)
        return Measure(key, label or spec.agg, agg, value, cond, spec.p)

    def formula_measure(self, spec: MeasureSpec, agg: Aggregation, loc: str) -> Measure:
        if not spec.formula:
            raise invalid(f"{loc}.formula", "report.formula_missing")
        formula = split(spec.formula, f"{loc}.formula")
        # Each aggregate is an ordinary measure (same checks, same permissions); the measure's
        # filter, if any, applies to every one of them.
        try:
            parts = tuple(
                self.measure(
                    part.model_copy(
                        update={"filter": spec.filter, "field": self._key_of(part.field)}
                    ),
                    f"{loc}.formula",
                )
                for part in formula.parts
            )
        except Invalid as e:  # said about the formula the user wrote, not a hidden part
            messages = [m for msgs in e.field_errors.values() for m in msgs]
            raise Invalid("invalid.input", {f"{loc}.formula": messages}) from None
        self.clock_dependent = True  # TODAY() may appear in the formula: never reused
        digest = hashlib.sha1(spec.formula.encode(), usedforsecurity=False).hexdigest()[:8]
        key = spec.key or f"formula_{digest}"
        return Measure(key, spec.label or spec.formula, agg, parts=parts, formula=formula)

    def _key_of(self, name: str | None) -> str | None:
        """A formula names fields by name or key (``{金额}``, ``{客户.省份}``); reports by key."""
        if name is None:
            return None
        schema: TableSchema | None = self.schema
        keys = []
        for piece in name.split("."):
            piece = piece.strip()
            f = find_field(schema, piece) if schema is not None else None
            if f is None:
                keys.append(piece)
                schema = None
                continue
            keys.append(f.key)
            target = f.reached_table_id if f.reaches_rows else None
            schema = self.ctx.catalog.schemas.get(target) if target else None
        return ".".join(keys)

    def dimensions(self, spec: DatasetSpec) -> list[Dimension]:
        dims = [
            build_dimension(self.ctx, d, f"dimensions.{i}") for i, d in enumerate(spec.dimensions)
        ]
        dims += [build_dimension(self.ctx, d, f"columns.{i}") for i, d in enumerate(spec.columns)]
        return dims

    # -- the query ---------------------------------------------------------------------------
    def select(
        self,
        dims: Sequence[Dimension],
        measures: Sequence[Measure],
        *,
        where: Sequence[sa.ColumnElement[bool]] = (),
        sort: Sequence[tuple[str, bool]] = (),
        limit: int | None = None,
    ) -> sa.Select[Any]:
        """``dataset_select`` over this builder's table for its caller, kept in ``statements``."""
        q = dataset_select(self.ctx, self.scope, dims, measures, where, sort, limit)
        self.statements.append(q)
        return q

    def plan(self, spec: DatasetSpec) -> DatasetPlan:
        """The query of ``spec`` and what reading its rows needs (``run`` = ``plan`` + fetch)."""
        self.clock_dependent = False
        dims = self.dimensions(spec)
        grouped = {
            d.ref.field.id: d.ref.field.column_name
            for d in dims
            if d.ref.relation is None and d.ref.field.id and d.ref.field_type.stored
        }
        measures = [self.measure(m, f"measures.{j}") for j, m in enumerate(spec.measures)]
        where = self.condition(spec.filter, "filter")
        q = self.select(
            dims,
            measures,
            where=[where] if where is not None else [],
            sort=[(s.key, s.direction == "desc") for s in spec.sort],
            limit=spec.limit + 1,
        )
        return DatasetPlan(q, dims, measures, spec.limit, grouped, not self.clock_dependent)

    def run(
        self,
        conn: sa.Connection,
        spec: DatasetSpec,
        plan: DatasetPlan | None = None,
        kept: bool = False,
    ) -> DatasetResult:
        """``kept``: ``plan`` comes from the plan cache (it runs its prepared statement)."""
        plan = plan or self.plan(spec)
        self.grouped = plan.grouped
        rows = plan.rows(conn, kept and plan.reusable)
        return self.fetch(conn, plan.select, plan.dims, plan.measures, plan.limit, rows)

    def fetch(
        self,
        conn: sa.Connection,
        q: sa.Select[Any],
        dims: Sequence[Dimension],
        measures: Sequence[Measure],
        limit: int | None = None,
        fetched: Any = None,
    ) -> DatasetResult:
        rows = []
        for r in conn.execute(q) if fetched is None else fetched:
            m = r._mapping
            keys = tuple(m[f"d{i}"] for i in range(len(dims)))
            labels = tuple(
                d.show(keys[i], m[f"l{i}"] if d.label_expr is not None else None)
                for i, d in enumerate(dims)
            )
            values = tuple(plain(m[f"m{j}"]) for j in range(len(measures)))
            rows.append((keys, labels, values))
        truncated = limit is not None and len(rows) > limit
        return DatasetResult(
            list(dims), list(measures), rows[:limit] if truncated else rows, truncated
        )

    # -- drill-down --------------------------------------------------------------------------
    def drill(
        self, conn: sa.Connection, spec: DatasetSpec, keys: Sequence[Any], measure: str | None
    ) -> dict[str, Any]:
        """The filter selecting the records behind one cell (its dimension values, in the
        order of ``dimensions`` then ``columns``), with the dataset's filter and, when
        ``measure`` is named, that measure's own filter."""
        dims = self.dimensions(spec)
        if len(keys) != len(dims):
            raise Invalid(
                "invalid.input", {"keys": [Message("report.drill_keys", {"n": len(dims)})]}
            )
        parts: list[Any] = []
        if spec.filter:
            parts.append(spec.filter)
        if measure is not None:
            found = [m for m in spec.measures if (m.key or "") == measure]
            if not found:
                raise invalid("measure", "report.sort_key", key=measure)
            if found[0].filter:
                parts.append(found[0].filter)
        for d, k in zip(dims, keys, strict=True):
            parts.append(drill_condition(conn, self.ctx, d, k))
        tree = {"and": parts}
        self.condition(tree, "drill")  # the records API will accept it
        return tree


def pivot(result: DatasetResult, n_row_dims: int) -> dict[str, Any]:
    """Rows × columns: the first ``n_row_dims`` dimensions down, the others across; each cell
    holds the measure values (null where no record falls)."""
    row_index: dict[tuple[Any, ...], int] = {}
    col_index: dict[tuple[Any, ...], int] = {}
    row_heads: list[dict[str, Any]] = []
    col_heads: list[dict[str, Any]] = []
    for keys, labels, _values in result.rows:
        rk, ck = keys[:n_row_dims], keys[n_row_dims:]
        if rk not in row_index:
            row_index[rk] = len(row_heads)
            row_heads.append({"keys": [plain(k) for k in rk], "labels": list(labels[:n_row_dims])})
        if ck not in col_index:
            col_index[ck] = len(col_heads)
            col_heads.append({"keys": [plain(k) for k in ck], "labels": list(labels[n_row_dims:])})
    col_order = sorted(range(len(col_heads)), key=lambda i: _sortable(col_heads[i]["keys"]))
    remap = {old: new for new, old in enumerate(col_order)}
    col_heads = [col_heads[i] for i in col_order]
    cells: list[list[list[Any] | None]] = [[None] * len(col_heads) for _ in row_heads]
    for keys, _labels, values in result.rows:
        r = row_index[keys[:n_row_dims]]
        c = remap[col_index[keys[n_row_dims:]]]
        cells[r][c] = list(values)
    dims = result.to_json()["dimensions"]
    return {
        "row_dimensions": dims[:n_row_dims],
        "column_dimensions": dims[n_row_dims:],
        "measures": [{"key": m.key, "label": m.label} for m in result.measures],
        "rows": row_heads,
        "columns": col_heads,
        "cells": cells,
        "truncated": result.truncated,
    }


def _sortable(keys: list[Any]) -> tuple[Any, ...]:
    return tuple((k is None, str(type(k).__name__), k if k is not None else 0) for k in keys)
