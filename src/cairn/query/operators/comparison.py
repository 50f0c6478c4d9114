"""Equality, order, ranges and membership: eq ne lt lte gt gte between in not_in."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from cairn.query.dialects import JsonArrayHasAny
from cairn.query.operators.base import JSON_ARRAY_TYPES, DayRange, OpContext, Operator


def _eq(column: sa.ColumnElement[Any], value: Any, ctx: OpContext) -> sa.ColumnElement[bool]:
    if ctx.value_type == "boolean":
        # A blank checkbox is unchecked.
        return column.is_(True) if value else sa.or_(column.is_(False), column.is_(None))
    if isinstance(value, DayRange):
        return sa.and_(column >= value.start, column < value.end)
    return column == value


class Eq(Operator):
    key = "eq"

    def compile(self, column, value, ctx):  # type: ignore[no-untyped-def]
        return _eq(column, value, ctx)


class Ne(Operator):
    """Not equal; a blank is "not equal" to any value."""

    key = "ne"

    def compile(self, column, value, ctx):  # type: ignore[no-untyped-def]
        if ctx.value_type == "boolean":
            return _eq(column, not value, ctx)
        if isinstance(value, DayRange):
            return sa.or_(column < value.start, column >= value.end, column.is_(None))
        return sa.or_(column != value, column.is_(None))


class Lt(Operator):
    key = "lt"

    def compile(self, column, value, ctx):  # type: ignore[no-untyped-def]
        return column < (value.start if isinstance(value, DayRange) else value)


class Lte(Operator):
    key = "lte"

    def compile(self, column, value, ctx):  # type: ignore[no-untyped-def]
        if isinstance(value, DayRange):
            return column < value.end
        return column <= value


class Gt(Operator):
    key = "gt"

    def compile(self, column, value, ctx):  # type: ignore[no-untyped-def]
        if isinstance(value, DayRange):
            return column >= value.end
        return column > value


class Gte(Operator):
    key = "gte"

    def compile(self, column, value, ctx):  # type: ignore[no-untyped-def]
        return column >= (value.start if isinstance(value, DayRange) else value)


class Between(Operator):
    """``[low, high]``, both ends included (a day given for a datetime includes the whole day)."""

    key = "between"
    shape = "pair"

    def compile(self, column, value, ctx):  # type: ignore[no-untyped-def]
        lo, hi = value
        lower = column >= (lo.start if isinstance(lo, DayRange) else lo)
        upper = column < hi.end if isinstance(hi, DayRange) else column <= hi
        return sa.and_(lower, upper)


def _has_any(column: sa.ColumnElement[Any], values: list[Any], ctx: OpContext):  # type: ignore[no-untyped-def]
    if ctx.linked is not None:
        return ctx.linked.exists(lambda tid, _value: tid.in_(values))
    if ctx.value_type in JSON_ARRAY_TYPES:
        return JsonArrayHasAny(column, values)
    return column.in_(values)


class In(Operator):
    """Any of the values; for a multi-valued field, has any of them."""

    key = "in"
    shape = "list"

    def compile(self, column, value, ctx):  # type: ignore[no-untyped-def]
        if not value:
            return sa.false()
        return _has_any(column, value, ctx)


class NotIn(Operator):
    """None of the values (blanks included); for a multi-valued field, has none of them."""

    key = "not_in"
    shape = "list"

    def compile(self, column, value, ctx):  # type: ignore[no-untyped-def]
        if not value:
            return sa.true()
        if ctx.linked is not None or ctx.value_type in JSON_ARRAY_TYPES:
            return sa.not_(_has_any(column, value, ctx))
        return sa.or_(column.not_in(value), column.is_(None))


OPERATORS = (Eq, Ne, Lt, Lte, Gt, Gte, Between, In, NotIn)
