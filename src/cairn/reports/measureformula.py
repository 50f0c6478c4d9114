"""Formula measures: a formula over aggregates, such as ``SUM({金额}) / COUNT()``.

The formula is Cairn's formula language. Inside it, ``SUM``, ``AVG``/``AVERAGE``, ``MIN``,
``MAX``, ``MEDIAN``, ``COUNT``, ``COUNTD`` and ``PERCENTILE`` applied to a field reference are
the report's aggregates (``COUNT()`` alone counts the records); everything around them —
arithmetic, ``IF``, ``ROUND``, comparisons — is ordinary formula language, compiled to SQL by
the formula compiler over the aggregate columns. A field outside an aggregate has no single
value per group and is refused, as is an aggregate over an expression.

``split`` turns the formula into its aggregate parts (plain ``MeasureSpec``s, so they get the
same checks and permissions as any measure) and a formula over the names ``__m0``, ``__m1`` …
that stand for them; ``combine`` compiles that formula over the parts' SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa

from cairn.core import Clock
from cairn.formula import (
    NUMBER,
    FieldInfo,
    FormulaError,
    SqlEnvironment,
    check,
    default_functions,
    parse,
)
from cairn.formula.ast import Binary, Call, FieldRef, Node, Number, Unary
from cairn.formula.compile_sql import compile_typed
from cairn.formula.sqlkit import FLOAT, Compiled
from cairn.query.formula import environment
from cairn.query.tree import invalid
from cairn.reports.spec import MeasureSpec
from cairn.store.catalog import Catalog

#: Formula function → the report aggregation it stands for (applied to one field).
AGGREGATES = {
    "SUM": "sum",
    "AVG": "avg",
    "AVERAGE": "avg",
    "MIN": "min",
    "MAX": "max",
    "MEDIAN": "median",
    "COUNT": "count",
    "COUNTA": "count",
    "COUNTD": "distinct",
    "PERCENTILE": "percentile",
}
PART = "__m"


@dataclass(frozen=True)
class SplitFormula:
    tree: Node
    parts: list[MeasureSpec]


def split(text: str, loc: str) -> SplitFormula:
    """The formula's aggregates as measures, and the formula over ``{__m<k>}`` in their place."""
    try:
        tree = parse(text)
    except FormulaError as e:
        raise e.at(loc) from None
    parts: list[MeasureSpec] = []

    def visit(node: Node) -> Node:
        if isinstance(node, Call) and node.name in AGGREGATES:
            parts.append(_part(node, loc))
            return FieldRef(f"{PART}{len(parts) - 1}", node.span)
        if isinstance(node, FieldRef):
            raise invalid(loc, "report.formula_bare_field", field=node.name)
        if isinstance(node, Call):
            return replace(node, args=tuple(visit(a) for a in node.args))
        if isinstance(node, Unary):
            return replace(node, operand=visit(node.operand))
        if isinstance(node, Binary):
            return replace(node, left=visit(node.left), right=visit(node.right))
        return node

    out = visit(tree)
    if not parts:
        raise invalid(loc, "report.formula_no_aggregate")
    return SplitFormula(out, parts)


def _part(call: Call, loc: str) -> MeasureSpec:
    agg = AGGREGATES[call.name]
    args = call.args
    p: float | None = None
    if agg == "percentile":
        if len(args) != 2 or not isinstance(args[1], Number):
            raise invalid(loc, "report.formula_aggregate_args", function=call.name)
        p = float(args[1].value)  # type: ignore[union-attr]
        if not 0 <= p <= 1:
            raise invalid(loc, "report.formula_aggregate_args", function=call.name)
        args = args[:1]
    if agg == "count" and not args:
        return MeasureSpec(agg="count")
    if len(args) != 1 or not isinstance(args[0], FieldRef):
        raise invalid(loc, "report.formula_aggregate_args", function=call.name)
    return MeasureSpec(agg=agg, field=args[0].name, p=p)


class _Parts:
    """The resolver and SQL source of the outer formula: each ``__m<k>`` is a number."""

    def __init__(self, columns: Sequence[sa.ColumnElement[Any]]) -> None:
        self.columns = columns

    def _index(self, name: str) -> int | None:
        if name.startswith(PART) and name[len(PART) :].isdecimal():
            k = int(name[len(PART) :])
            return k if k < len(self.columns) else None
        return None

    def field(self, name: str) -> FieldInfo | None:
        return FieldInfo(name, NUMBER) if self._index(name) is not None else None

    def target(self, relation_key: str) -> None:
        return None

    def column(self, key: str) -> sa.ColumnElement[Any]:
        k = self._index(key)
        assert k is not None
        return sa.cast(self.columns[k], FLOAT)

    def related(self, relation_key: str) -> Any:
        raise AssertionError("no relations in a measure formula")


def combine(
    formula: SplitFormula,
    columns: Sequence[sa.ColumnElement[Any]],
    catalog: Catalog,
    clock: Clock,
    dialect: str,
    loc: str,
) -> sa.ColumnElement[Any]:
    """The formula's value over the parts' aggregate columns; NULL where it is an error
    (``#DIV/0!`` when a group has no records, for instance)."""
    parts = _Parts(columns)
    try:
        typed = check(formula.tree, parts, default_functions())
        if typed.type.kind not in ("number", "duration"):
            raise invalid(loc, "report.formula_not_number")
        senv = SqlEnvironment.of(environment(catalog, clock), dialect, catalog.calendar_table)
        out: Compiled = compile_typed(typed, parts, senv)  # type: ignore[arg-type]
    except FormulaError as e:
        raise e.at(loc) from None
    if out.error is None:
        return out.value
    return sa.case((out.error.is_(None), out.value), else_=sa.null())
