"""Blanks: ISBLANK, BLANKVALUE (empty text counts as blank).

BLANKVALUE evaluates its second argument only when the first is blank.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from cairn.formula import runtime as rt
from cairn.formula.convert import py_convert
from cairn.formula.env import Environment, SqlEnvironment
from cairn.formula.functions.base import CallInfo, Function, LazyFunction
from cairn.formula.functions.branching import (
    Thunk,
    branch_py,
    branch_result,
    branch_sql,
    conversion,
    select_sql,
)
from cairn.formula.sqlkit import BOOL, Compiled
from cairn.formula.typecheck import unify
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


class BlankValue(LazyFunction):
    """The value, or the second argument when the value is blank."""

    key = "BLANKVALUE"
    zh = "空值替换"
    category = "logic"
    params = ("any", "any")
    signature = "BLANKVALUE(value, value_if_blank)"
    example = "BLANKVALUE({nickname}, {name})"

    def result(self, call: CallInfo) -> Type:
        return unify(call, [0, 1])

    def py_lazy(self, args: Sequence[Thunk], env: Environment, types: tuple[Type, ...]) -> Any:
        result = branch_result(types)
        v = args[0]()
        if isinstance(v, rt.ErrorValue):
            return v
        if v is None or v == "":
            return branch_py(args[1], result)
        return py_convert(v, conversion(result))

    def sql_lazy(
        self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]
    ) -> Compiled:
        result = branch_result(types)
        first = branch_sql(args[0], types[0], result, env)
        second = branch_sql(args[1], types[1], result, env)
        v = args[0].value
        blank = sa.or_(v.is_(None), v == "") if types[0].kind == "text" else v.is_(None)
        if types[0].kind == "blank":
            return second
        cond = Compiled(blank, args[0].error)
        return select_sql([(cond, second)], first, result)


FUNCTIONS = (IsBlank, BlankValue)
