"""Errors: IFERROR, ISERROR (#DIV/0!, #VALUE!, #NUM!).

IFERROR evaluates its second argument only when the first is an error (``branching.Fallback``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cairn.formula import runtime as rt
from cairn.formula.env import Environment, SqlEnvironment
from cairn.formula.functions.base import LazyFunction
from cairn.formula.functions.branching import Fallback, Thunk, select_sql
from cairn.formula.sqlkit import BOOL, Compiled
from cairn.formula.types import BOOLEAN, Type


class IfError(Fallback):
    """The value, or the second argument when the value is an error (#DIV/0!, #VALUE!, #NUM!)."""

    key = "IFERROR"
    zh = "错误替换"
    signature = "IFERROR(value, value_if_error)"
    example = "IFERROR({amount} / {count}, 0)"

    def replaces(self, v: Any) -> bool:
        return isinstance(v, rt.ErrorValue)

    def replaced_sql(
        self, value: Compiled, t: Type, first: Compiled, second: Compiled, result: Type
    ) -> Compiled:
        if value.error is None:
            return Compiled(first.value)
        # Where the value failed, its error is the condition, not the reply's.
        failed = Compiled(value.error.is_not(None))
        return select_sql([(failed, second)], Compiled(first.value), result)


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
