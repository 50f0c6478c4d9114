"""Blank tests: is_empty and is_not_empty (NULL; also '' for text and '[]' for JSON arrays)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from cairn.query.operators.base import JSON_ARRAY_TYPES, OpContext, Operator


def is_empty(column: sa.ColumnElement[Any], ctx: OpContext) -> sa.ColumnElement[bool]:
    if ctx.linked is not None:
        return sa.not_(ctx.linked.present())
    if ctx.value_type == "text":
        return sa.or_(column.is_(None), column == "")
    if ctx.value_type in JSON_ARRAY_TYPES or ctx.value_type == "json":
        return sa.or_(column.is_(None), column == "", column == "[]")
    return column.is_(None)


class IsEmpty(Operator):
    key = "is_empty"
    shape = "none"

    def compile(self, column, value, ctx):  # type: ignore[no-untyped-def]
        return is_empty(column, ctx)


class IsNotEmpty(Operator):
    key = "is_not_empty"
    shape = "none"

    def compile(self, column, value, ctx):  # type: ignore[no-untyped-def]
        return sa.not_(is_empty(column, ctx))


OPERATORS = (IsEmpty, IsNotEmpty)
