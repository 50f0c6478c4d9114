"""Aggregates over a relation: COUNT, SUM, AVERAGE, MIN, MAX of ``{订单.金额}``, and the
conditional ones SUMIF, COUNTIF, AVERAGEIF, MINIF, MAXIF.

In SQL each is a correlated scalar subquery over the linked records; in Python it runs over
the linked records the caller supplies. Blanks are skipped. SUM adds the exact decimal values
(each number to 15 significant digits) and rounds once, so the order of the rows does not
matter; AVERAGE is that sum divided by the count (#DIV/0! when there is nothing to average);
MIN and MAX of no numbers are 0 (as Excel), of dates or datetimes they are the earliest or
latest date (a date, so ``DAYS(TODAY(), MAX({拜访.日期}))`` works) and blank when there is
none; COUNT counts the non-blank values (``COUNT({订单})`` counts the linked records).

The conditional aggregates take the rows first and a condition second::

    SUMIF({订单.金额}, {订单.日期} >= DATEADD(TODAY(), -12, "months"))
    COUNTIF({投诉}, {投诉.类型} = "严重")
    COUNTIF({投诉.类型} = "严重")          the same: the rows of the one relation it reads

The condition is checked once per linked row: in it ``{订单.日期}`` is that row's date, and a
field without a relation is this record's (``{订单.日期} >= {签约日期}``). It may not read
another relation (a type error). A row counts when the condition is TRUE; FALSE, blank or an
error (#DIV/0! …) leave it out, as a formula filter does. SQL adds the condition to the
subquery's WHERE; Python evaluates it over each linked record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cairn.formula import runtime as rt
from cairn.formula.env import Environment, SqlEnvironment
from cairn.formula.functions.base import CallInfo, Function
from cairn.formula.resolve import SqlRelated
from cairn.formula.sqlkit import DATE_T, DATETIME_T, FLOAT, Compiled, when
from cairn.formula.types import NUMBER, Type

DATES = ("date", "datetime")


@dataclass(frozen=True)
class SqlList:
    """A list in SQL: ``value`` over ``related`` rows (None: the rows themselves)."""

    related: SqlRelated
    value: Any = None


class Aggregate(Function):
    category = "math"
    params = ("numbers",)
    variadic = True
    returns = NUMBER

    @staticmethod
    def is_list(types: tuple[Type, ...]) -> bool:
        return len(types) == 1 and types[0].is_list

    def result(self, call: CallInfo) -> Type:
        lists = [i for i, t in enumerate(call.types) if t.is_list]
        if lists and len(call.types) > 1:
            raise call.fail("formula.list_alone", lists[0])
        if lists and self.key in ("MIN", "MAX") and call.types[0].elem in DATES:
            return Type(call.types[0].elem or "date")
        if lists and call.types[0].elem not in ("number", "boolean", "duration"):
            raise call.fail("formula.arg_type.number", 0, n=1)
        return NUMBER

    def py_list(self, values: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return py_aggregate(self.key, values, types[0])

    def sql_list(self, arg: Compiled, env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return sql_aggregate(self.key, arg.value, env, types[0])


def py_aggregate(kind: str, values: list[Any], t: Type) -> Any:
    """SUM, AVERAGE, MIN or MAX (``kind``) of a relation's values (a list of type ``t``)."""
    if t.elem in DATES:
        days = [v for v in values if v is not None and not isinstance(v, rt.ErrorValue)]
        if not days:
            return None
        return min(days) if kind == "MIN" else max(days)
    present = [float(v) for v in values if v is not None and not isinstance(v, rt.ErrorValue)]
    if kind == "SUM":
        return rt.decimal_sum(present)
    if kind == "AVERAGE":
        if not present:
            return rt.DIV0
        return rt.decimal_sum(present) / len(present)
    if not present:
        return 0.0
    return float(min(present) if kind == "MIN" else max(present))


def sql_aggregate(kind: str, lst: SqlList, env: SqlEnvironment, t: Type) -> Compiled:
    """The same in SQL: a correlated scalar subquery over the linked rows."""
    rel, v = lst.related, lst.value
    k = env.dialect
    if t.elem == "boolean":  # TRUE counts 1 (PostgreSQL casts no boolean to a number)
        v = sa.case((v, 1.0), (sa.not_(v), 0.0), else_=None)

    def scalar(expr: Any) -> Any:
        return rel.select(expr).scalar_subquery()

    if t.elem in DATES:  # the earliest or latest, blank when there is none
        pick = sa.func.min(v) if kind == "MIN" else sa.func.max(v)
        return Compiled(sa.type_coerce(scalar(pick), DATE_T if t.elem == "date" else DATETIME_T))
    if kind in ("SUM", "AVERAGE"):
        if k.pg:
            total = sa.cast(sa.func.coalesce(sa.func.sum(k.num15(v)), 0), FLOAT)
        else:
            total = sa.func.coalesce(sa.func.cairn_dsum(v, type_=FLOAT), 0.0)
        total = scalar(total)
        if kind == "SUM":
            return Compiled(sa.type_coerce(total, FLOAT))
        count = scalar(sa.func.count(v))
        value = sa.case((count == 0, None), else_=total / sa.cast(count, FLOAT))
        return Compiled(sa.type_coerce(value, FLOAT), when(count == 0, "#DIV/0!"))
    pick = sa.func.min(v) if kind == "MIN" else sa.func.max(v)
    return Compiled(sa.type_coerce(sa.func.coalesce(scalar(pick), 0.0), FLOAT))


class Count(Function):
    """The number of linked records, or of the linked records with a value in a field."""

    key = "COUNT"
    zh = "计数"
    category = "math"
    params = ("list",)
    returns = NUMBER
    signature = "COUNT({relation})  |  COUNT({relation.field})"
    example = "COUNT({订单})"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return float(sum(1 for v in args[0] if v is not None))

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return count_rows(args[0].value)


def count_rows(lst: SqlList) -> Compiled:
    counted = sa.func.count() if lst.value is None else sa.func.count(lst.value)
    return Compiled(sa.cast(lst.related.select(counted).scalar_subquery(), FLOAT))


class ConditionalAggregate(Function):
    """The base of SUMIF, COUNTIF, AVERAGEIF, MINIF, MAXIF: ``row_condition`` names the
    aggregate. The type checker checks the condition per row (``Checker.conditional``); both
    back ends hand ``py_rows`` / ``sql_rows`` only the rows for which it holds."""

    category = "math"
    params = ("list", "boolean")
    returns = NUMBER

    def py_rows(self, values: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        kind = self.row_condition or ""
        if kind == "COUNT":
            return float(sum(1 for v in values if v is not None))
        return py_aggregate(kind, values, types[0])

    def sql_rows(self, lst: SqlList, env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        kind = self.row_condition or ""
        if kind == "COUNT":
            return count_rows(lst)
        return sql_aggregate(kind, lst, env, types[0])


class SumIf(ConditionalAggregate):
    """The sum of a field over the linked records for which the condition is TRUE."""

    key = "SUMIF"
    zh = "条件求和"
    row_condition = "SUM"
    signature = "SUMIF({relation.field}, condition on {relation.…})"
    example = 'SUMIF({订单.金额}, {订单.日期} >= DATEADD(TODAY(), -12, "months"))'


class CountIf(ConditionalAggregate):
    """The number of linked records for which the condition is TRUE (with a field: those
    with a value in it; with the condition alone: the records of the one relation it reads)."""

    key = "COUNTIF"
    zh = "条件计数"
    row_condition = "COUNT"
    min_args = 1
    signature = (
        "COUNTIF({relation}, condition on {relation.…})  |  COUNTIF({relation.field}, …)"
        "  |  COUNTIF(condition on {relation.…})"
    )
    example = "COUNTIF({投诉}, {投诉.日期} >= TODAY() - 90)"


class AverageIf(ConditionalAggregate):
    """The average of a field over the linked records for which the condition is TRUE
    (#DIV/0! when there are none)."""

    key = "AVERAGEIF"
    zh = "条件平均值"
    row_condition = "AVERAGE"
    signature = "AVERAGEIF({relation.field}, condition on {relation.…})"
    example = 'AVERAGEIF({订单.金额}, {订单.状态} = "已付款")'


class MinIf(ConditionalAggregate):
    """The smallest value (number, date or datetime) of a field over the linked records for
    which the condition is TRUE (none: 0, or blank for dates)."""

    key = "MINIF"
    zh = "条件最小值"
    row_condition = "MIN"
    signature = "MINIF({relation.field}, condition on {relation.…})"
    example = 'MINIF({拜访.日期}, {拜访.方式} = "上门")'


class MaxIf(ConditionalAggregate):
    """The largest value (number, date or datetime) of a field over the linked records for
    which the condition is TRUE (none: 0, or blank for dates)."""

    key = "MAXIF"
    zh = "条件最大值"
    row_condition = "MAX"
    signature = "MAXIF({relation.field}, condition on {relation.…})"
    example = 'DAYS(TODAY(), MAXIF({拜访.日期}, {拜访.方式} = "上门"))'


FUNCTIONS = (Count, SumIf, CountIf, AverageIf, MinIf, MaxIf)
