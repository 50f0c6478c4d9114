"""Errors: IFERROR, ISERROR (#DIV/0!, #VALUE!, #NUM!).

IFERROR evaluates its second argument only when the first is an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from cairn.formula import runtime as rt
from cairn.formula.convert import py_convert
from cairn.formula.env import Environment, SqlEnvironment
from cairn.formula.functions.base import CallInfo, LazyFunction
from cairn.formula.functions.branching import (
    Thunk,
    branch_py,
    branch_result,
    branch_sql,
    conversion,
    sa_type,
)
from cairn.formula.sqlkit import BOOL, Compiled
from cairn.formula.typecheck import unify
from cairn.formula.types import BOOLEAN, Type


class IfError(LazyFunction):
    """The value, or the second argument when the value is an error (#DIV/0!, #VALUE!, #NUM!)."""

    key = "IFERROR"
    zh = "错误替换"
    category = "logic"
    params = ("any", "any")
    signature = "IFERROR(value, value_if_error)"
    example = "IFERROR({amount} / {count}, 0)"

    def result(self, call: CallInfo) -> Type:
        return unify(call, [0, 1])

    def py_lazy(self, args: Sequence[Thunk], env: Environment, types: tuple[Type, ...]) -> Any:
        result = branch_result(types)
        v = args[0]()
        if isinstance(v, rt.ErrorValue):
            return branch_py(args[1], result)
        return py_convert(v, conversion(result))

    def sql_lazy(
        self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]
    ) -> Compiled:
        result = branch_result(types)
        first = branch_sql(args[0], types[0], result, env)
        second = branch_sql(args[1], types[1], result, env)
        if args[0].error is None:
            return Compiled(first.value)
        failed = args[0].error.is_not(None)
        value = sa.case((failed, second.value), else_=first.value)
        error = sa.case((failed, second.error), else_=None) if second.error is not None else None
        return Compiled(sa.type_coerce(value, sa_type(result)), error)


class IsError(LazyFunction):
    """TRUE when the value is an error (#DIV/0!, #VALUE!, #NUM!)."""

    key = "ISERROR"
    zh = "是否错误"
    category = "logic"
    params = ("any",)
    returns = BOOLEAN
    signature = "ISERROR(value)"
    example = "ISERROR({amount} / {count})"

    def py_lazy(self, args: Sequence[Thunk], env: Environment, types: tuple[Type, ...]) -> Any:
        return isinstance(args[0](), rt.ErrorValue)

    def sql_lazy(
        self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]
    ) -> Compiled:
        if args[0].error is None:
            return Compiled(env.dialect.lit(False, BOOL))
        return Compiled(args[0].error.is_not(None))


FUNCTIONS = (IfError, IsError)
