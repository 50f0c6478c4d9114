"""Aggregates over a relation: COUNT, SUM, AVERAGE, MIN, MAX of ``{订单.金额}``.

In SQL each is a correlated scalar subquery over the linked records; in Python it runs over
the linked records the caller supplies. Blanks are skipped. SUM adds the exact decimal values
(each number to 15 significant digits) and rounds once, so the order of the rows does not
matter; AVERAGE is that sum divided by the count (#DIV/0! when there is nothing to average);
MIN and MAX of nothing are 0 and COUNT counts the non-blank values (``COUNT({订单})`` counts the
linked records).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cairn.formula import runtime as rt
from cairn.formula.env import Environment, SqlEnvironment
from cairn.formula.functions.base import CallInfo, Function
from cairn.formula.resolve import SqlRelated
from cairn.formula.sqlkit import FLOAT, Compiled, when
from cairn.formula.types import NUMBER, Type


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
        if lists and call.types[0].elem not in ("number", "boolean", "duration"):
            raise call.fail("formula.arg_type.number", 0, n=1)
        return NUMBER

    def py_list(self, values: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        present = [float(v) for v in values if v is not None and not isinstance(v, rt.ErrorValue)]
        if self.key == "SUM":
            return rt.decimal_sum(present)
        if self.key == "AVERAGE":
            if not present:
                return rt.DIV0
            return rt.decimal_sum(present) / len(present)
        if not present:
            return 0.0
        return float(min(present) if self.key == "MIN" else max(present))

    def sql_list(self, arg: Compiled, env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        lst: SqlList = arg.value
        rel, v = lst.related, lst.value
        k = env.dialect
        if types[0].elem == "boolean":  # TRUE counts 1 (PostgreSQL casts no boolean to a number)
            v = sa.case((v, 1.0), (sa.not_(v), 0.0), else_=None)

        def scalar(expr: Any) -> Any:
            return rel.select(expr).scalar_subquery()

        if self.key in ("SUM", "AVERAGE"):
            if k.pg:
                total = sa.cast(sa.func.coalesce(sa.func.sum(k.num15(v)), 0), FLOAT)
            else:
                total = sa.func.coalesce(sa.func.cairn_dsum(v, type_=FLOAT), 0.0)
            total = scalar(total)
            if self.key == "SUM":
                return Compiled(sa.type_coerce(total, FLOAT))
            count = scalar(sa.func.count(v))
            value = sa.case((count == 0, None), else_=total / sa.cast(count, FLOAT))
            return Compiled(sa.type_coerce(value, FLOAT), when(count == 0, "#DIV/0!"))
        pick = sa.func.min(v) if self.key == "MIN" else sa.func.max(v)
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
        lst: SqlList = args[0].value
        counted = sa.func.count() if lst.value is None else sa.func.count(lst.value)
        return Compiled(sa.cast(lst.related.select(counted).scalar_subquery(), FLOAT))


FUNCTIONS = (Count,)
