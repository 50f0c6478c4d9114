"""The SELECT of a dataset: dimensions and measures over one table, aggregated in SQL.

Measures whose aggregate needs window columns on this database (percentiles on SQLite) make
the query two-level: an inner SELECT with the per-record values, row numbers and positions, an
outer GROUP BY over it; otherwise it is one GROUP BY. The caller's row scope
(``Scope.where_for``) is ANDed with the conditions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cairn.query.tree import invalid
from cairn.reports.aggregations import AggInput, Aggregation
from cairn.reports.dimensions import Dimension, option_position
from cairn.reports.measureformula import SplitFormula, combine
from cairn.reports.refs import Context
from cairn.reports.scope import Scope


@dataclass(frozen=True)
class Measure:
    """A measure ready for SQL: the aggregation, the value (None: the records) and the
    condition that admits a record to it (a conditional aggregate)."""

    key: str
    label: str
    agg: Aggregation
    value: sa.ColumnElement[Any] | None = None
    condition: sa.ColumnElement[bool] | None = None
    p: float | None = None
    #: A formula measure: its aggregate parts and the formula over them.
    parts: tuple[Measure, ...] = ()
    formula: SplitFormula | None = None

    def leaves(self) -> tuple[Measure, ...]:
        """The plain aggregates SQL computes for this measure."""
        return self.parts or (self,)


def dataset_select(
    ctx: Context,
    scope: Scope,
    dims: Sequence[Dimension],
    measures: Sequence[Measure],
    where: Sequence[sa.ColumnElement[bool]],
    sort: Sequence[tuple[str, bool]],
    limit: int | None,
) -> sa.Select[Any]:
    """The grouped SELECT of ``dims`` and ``measures`` over ``ctx``'s table (its live records,
    ``where`` and the scope's row condition), sorted by ``sort`` (dimension or measure keys,
    descending when True) and then by the unsorted dimensions, at most ``limit`` rows."""
    keys = [d.key for d in dims] + [m.key for m in measures]
    dupes = {k for k in keys if keys.count(k) > 1}
    if dupes:
        raise invalid("measures", "report.duplicate_key", key=sorted(dupes)[0])
    t = ctx.schema.sa_table
    conds: list[sa.ColumnElement[bool]] = [t.c.deleted_at.is_(None), *where]
    scope_where = scope.where_for(ctx.schema)
    if scope_where is not None:
        conds.append(scope_where)
    dialect = ctx.dialect
    inner: dict[str, sa.ColumnElement[Any]] = {}
    for i, d in enumerate(dims):
        inner[f"d{i}"] = d.expr
        if d.label_expr is not None:
            inner[f"l{i}"] = d.label_expr
    partition = [d.expr for d in dims]
    inputs: list[list[AggInput]] = []
    for j, m in enumerate(measures):
        inputs.append([])
        for k, leaf in enumerate(m.leaves()):
            value = leaf.value
            if value is None and m.formula is not None:
                # The records counted by their id: PostgreSQL gives an aggregate naming no
                # column to the innermost SELECT, which in a formula may be one that binds a
                # large part once (``formula.letbind``), not the grouped query.
                value = t.c.id
            if leaf.condition is not None:
                value = sa.case((leaf.condition, sa.literal(1) if value is None else value))
            a = AggInput(value, dialect, partition, leaf.p)
            inputs[j].append(a)
            for name, e in leaf.agg.inner(a).items():
                inner[f"m{j}p{k}_{name}"] = e
    windowed = any(dialect in leaf.agg.windowed_on for m in measures for leaf in m.leaves())
    from_clause = ctx.from_clause()
    if windowed:
        sub = (
            sa.select(*(e.label(n) for n, e in inner.items()))
            .select_from(from_clause)
            .where(*conds)
            .subquery("rows")
        )

        def col(name: str) -> sa.ColumnElement[Any]:
            return sub.c[name]

        q_from: Any = sub
        q_where: list[sa.ColumnElement[bool]] = []
    else:

        def col(name: str) -> sa.ColumnElement[Any]:
            return inner[name]

        q_from = from_clause
        q_where = conds
    group: list[sa.ColumnElement[Any]] = []
    columns: list[sa.ColumnElement[Any]] = []
    for i, d in enumerate(dims):
        columns.append(col(f"d{i}").label(f"d{i}"))
        group.append(col(f"d{i}"))
        if d.label_expr is not None:
            columns.append(col(f"l{i}").label(f"l{i}"))
            group.append(col(f"l{i}"))
    for j, (m, ins) in enumerate(zip(measures, inputs, strict=True)):
        outs = [
            leaf.agg.outer(a, lambda n, j=j, k=k: col(f"m{j}p{k}_{n}"))
            for k, (leaf, a) in enumerate(zip(m.leaves(), ins, strict=True))
        ]
        expr = outs[0]
        if m.formula is not None:
            expr = combine(
                m.formula,
                outs,
                ctx.catalog,
                ctx.clock,
                dialect,
                f"measures.{j}.formula",
            )
        columns.append(expr.label(f"m{j}"))
    q = sa.select(*columns).select_from(q_from).where(*q_where)
    if group:
        q = q.group_by(*group)
    order = []
    by_key = {d.key: (i, d) for i, d in enumerate(dims)}
    m_keys = {m.key: j for j, m in enumerate(measures)}
    for n, (key, desc) in enumerate(sort):
        if key in by_key:
            i, d = by_key[key]
            e = option_position(d, col(f"d{i}"))
        elif key in m_keys:
            e = sa.literal_column(f"m{m_keys[key]}")
        else:
            raise invalid(f"sort.{n}.key", "report.sort_key", key=key)
        order.append(e.desc().nulls_last() if desc else e.asc().nulls_last())
    sorted_dims = {k for k, _ in sort}
    for i, d in enumerate(dims):
        if d.key not in sorted_dims:
            order.append(option_position(d, col(f"d{i}")).asc().nulls_last())
    if order:
        q = q.order_by(*order)
    if limit is not None:
        q = q.limit(limit)
    return q
