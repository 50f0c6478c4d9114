"""Aggregations: one class per kind a user picks (count, sum, median …), in a registry.

An aggregation works in two steps so percentiles can be computed in SQL on SQLite too:
``inner`` gives the per-record columns it needs (the value, and on SQLite a row number and a
position from window functions), ``outer`` the aggregate over them in the GROUP BY.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import sqlalchemy as sa

from cairn.core import Registry, TypeDef

Col = Callable[[str], sa.ColumnElement[Any]]


@dataclass(frozen=True)
class AggInput:
    """What an aggregation aggregates: ``value`` (None: the records themselves), the dialect,
    the group's partition (dimension expressions) and the percentile ``p``."""

    value: sa.ColumnElement[Any] | None
    dialect: str
    partition: Sequence[sa.ColumnElement[Any]]
    p: float | None = None


class Aggregation(TypeDef):
    #: needs a field; the field must hold numbers (or dates, for min and max).
    needs_field: ClassVar[bool] = True
    value_types: ClassVar[frozenset[str] | None] = frozenset({"number"})
    #: the aggregate needs window columns on this dialect (not a plain GROUP BY).
    windowed_on: ClassVar[frozenset[str]] = frozenset()

    def inner(self, a: AggInput) -> dict[str, sa.ColumnElement[Any]]:
        return {"v": a.value} if a.value is not None else {}

    def outer(self, a: AggInput, col: Col) -> sa.ColumnElement[Any]:
        raise NotImplementedError


class Count(Aggregation):
    """Records; with a field, records where it is not blank."""

    key = "count"
    needs_field = False
    value_types = None

    def outer(self, a: AggInput, col: Col) -> sa.ColumnElement[Any]:
        return sa.func.count(col("v")) if a.value is not None else sa.func.count()


class DistinctCount(Aggregation):
    key = "distinct"
    value_types = None

    def outer(self, a: AggInput, col: Col) -> sa.ColumnElement[Any]:
        return sa.func.count(sa.distinct(col("v")))


class Sum(Aggregation):
    key = "sum"

    def outer(self, a: AggInput, col: Col) -> sa.ColumnElement[Any]:
        return sa.func.sum(col("v"))


class Avg(Aggregation):
    key = "avg"

    def outer(self, a: AggInput, col: Col) -> sa.ColumnElement[Any]:
        return sa.func.avg(col("v"))


class Min(Aggregation):
    key = "min"
    value_types = frozenset({"number", "date", "datetime"})

    def outer(self, a: AggInput, col: Col) -> sa.ColumnElement[Any]:
        return sa.func.min(col("v"))


class Max(Aggregation):
    key = "max"
    value_types = frozenset({"number", "date", "datetime"})

    def outer(self, a: AggInput, col: Col) -> sa.ColumnElement[Any]:
        return sa.func.max(col("v"))


class Percentile(Aggregation):
    """Continuous percentile (linear interpolation, as PostgreSQL's ``percentile_cont``).

    SQLite has no such aggregate: each value gets its row number in its group (ascending,
    blanks last) and the group's position ``p × (n − 1)``; the outer query picks the one or
    two rows around the position and interpolates between them.
    """

    key = "percentile"
    windowed_on = frozenset({"sqlite"})
    default_p: ClassVar[float | None] = None

    def _p(self, a: AggInput) -> float:
        p = a.p if a.p is not None else self.default_p
        return 0.5 if p is None else p

    def inner(self, a: AggInput) -> dict[str, sa.ColumnElement[Any]]:
        assert a.value is not None
        if a.dialect == "postgresql":
            return {"v": a.value}
        part = list(a.partition) or None
        rn = sa.func.row_number().over(partition_by=part, order_by=a.value.asc().nulls_last())
        n = sa.func.count(a.value).over(partition_by=part)
        pos = sa.literal(self._p(a), sa.Float) * (n - 1)
        return {"v": a.value, "rn": rn, "pos": pos}

    def outer(self, a: AggInput, col: Col) -> sa.ColumnElement[Any]:
        if a.dialect == "postgresql":
            return sa.func.percentile_cont(self._p(a)).within_group(col("v"))
        pos = sa.func.max(col("pos"))
        lo = sa.cast(pos, sa.Integer)
        frac = pos - lo
        at = sa.cast(col("pos"), sa.Integer) + 1
        v_lo = sa.func.max(sa.case((col("rn") == at, col("v"))))
        v_hi = sa.func.max(
            sa.case((col("rn") == at + sa.case((col("pos") > at - 1, 1), else_=0), col("v")))
        )
        return v_lo + frac * (v_hi - v_lo)


class Median(Percentile):
    key = "median"
    default_p = 0.5


class FormulaMeasure(Aggregation):
    """A formula over aggregates (``SUM({金额}) / COUNT()``): the dataset builder splits it into
    plain aggregates and compiles the formula over them (``reports.measureformula``)."""

    key = "formula"
    needs_field = False
    value_types = None

    def outer(self, a: AggInput, col: Col) -> sa.ColumnElement[Any]:
        raise AssertionError("a formula measure is computed from its parts")


AggregationRegistry = Registry[Aggregation]


def register_builtins(registry: AggregationRegistry) -> None:
    for cls in (Count, DistinctCount, Sum, Avg, Min, Max, Percentile, Median, FormulaMeasure):
        registry.register(cls())


def builtin_aggregations() -> AggregationRegistry:
    registry: AggregationRegistry = Registry("aggregation")
    register_builtins(registry)
    return registry
