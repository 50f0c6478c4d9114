"""Text matching (contains, starts_with), case-insensitive with LIKE wildcards escaped, and
``contains`` for multi-valued fields (has this option / is linked to this record)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from cairn.query.dialects import JsonArrayHasAny
from cairn.query.operators.base import JSON_ARRAY_TYPES, OpContext, Operator

ESCAPE = "\\"


def like_escape(text: str) -> str:
    """``text`` with the LIKE wildcards and the escape character made literal."""
    return text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")


def _ilike(column: sa.ColumnElement[Any], pattern: str) -> sa.ColumnElement[bool]:
    return sa.func.lower(column).like(sa.func.lower(sa.literal(pattern)), escape=ESCAPE)


class Contains(Operator):
    key = "contains"

    def compile(self, column, value, ctx: OpContext):  # type: ignore[no-untyped-def]
        if ctx.linked is not None:
            return ctx.linked.exists(lambda tid, _value: tid == value)
        if ctx.value_type in JSON_ARRAY_TYPES:
            return JsonArrayHasAny(column, [value])
        return _ilike(column, f"%{like_escape(str(value))}%")


class StartsWith(Operator):
    key = "starts_with"

    def compile(self, column, value, ctx: OpContext):  # type: ignore[no-untyped-def]
        return _ilike(column, f"{like_escape(str(value))}%")


OPERATORS = (Contains, StartsWith)
