"""Blanks: ISBLANK, BLANKVALUE (empty text counts as blank).

BLANKVALUE evaluates its second argument only when the first is blank (``branching.Fallback``).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from cairn.formula.env import Environment, SqlEnvironment
from cairn.formula.functions.base import Function
from cairn.formula.functions.branching import Fallback, select_sql
from cairn.formula.sqlkit import BOOL, Compiled
from cairn.formula.types import BOOLEAN, Type


class IsBlank(Function):
    """TRUE when the value is blank (empty text counts as blank)."""

    key = "ISBLANK"
    zh = "是否为空"
    category = "logic"
    params = ("any",)
    returns = BOOLEAN
    signature = "ISBLANK(value)"
    example = "ISBLANK({phone})"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return args[0] is None or args[0] == ""

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        v = args[0].value
        if types[0].kind == "blank":
            return Compiled(env.dialect.lit(True, BOOL))
        if types[0].kind == "text":
            return Compiled(sa.or_(v.is_(None), v == ""))
        return Compiled(v.is_(None))


class BlankValue(Fallback):
    """The value, or the second argument when the value is blank."""

    key = "BLANKVALUE"
    zh = "空值替换"
    signature = "BLANKVALUE(value, value_if_blank)"
    example = "BLANKVALUE({nickname}, {name})"

    def replaces(self, v: Any) -> bool:
        return v is None or v == ""

    def replaced_sql(
        self, value: Compiled, t: Type, first: Compiled, second: Compiled, result: Type
    ) -> Compiled:
        v = value.value
        blank = sa.or_(v.is_(None), v == "") if t.kind == "text" else v.is_(None)
        if t.kind == "blank":
            return second
        cond = Compiled(blank, value.error)
        return select_sql([(cond, second)], first, result)


FUNCTIONS = (IsBlank, BlankValue)
