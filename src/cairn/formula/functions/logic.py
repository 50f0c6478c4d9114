"""Logic: AND, OR, NOT.

A condition is a boolean, a number (TRUE unless 0) or a blank, which counts as FALSE:
``AND(TRUE, BLANK())`` is FALSE (Excel would skip the blank; docs/formula.md). AND and OR look
at every argument, so an error in any of them is the result, as in Excel.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from cairn.formula.env import Environment, SqlEnvironment
from cairn.formula.functions.base import Function
from cairn.formula.sqlkit import Compiled, operand
from cairn.formula.types import BOOLEAN, Type


class And(Function):
    """TRUE when every argument is true."""

    key = "AND"
    zh = "且"
    category = "logic"
    params = ("boolean",)
    variadic = True
    returns = BOOLEAN
    signature = "AND(logical1, [logical2, …])"
    example = 'AND({tier} = "VIP", {amount} > 1000)'

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return all(args)

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return Compiled(sa.and_(*(a.value for a in args)))


class Or(Function):
    """TRUE when at least one argument is true."""

    key = "OR"
    zh = "或"
    category = "logic"
    params = ("boolean",)
    variadic = True
    returns = BOOLEAN
    signature = "OR(logical1, [logical2, …])"
    example = 'OR({city} = "北京", {city} = "上海")'

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return any(args)

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return Compiled(sa.or_(*(a.value for a in args)))


class Not(Function):
    """TRUE when the argument is false, FALSE when it is true."""

    key = "NOT"
    zh = "非"
    category = "logic"
    params = ("boolean",)
    returns = BOOLEAN
    signature = "NOT(logical)"
    example = "NOT({paid})"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return not args[0]

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return Compiled(sa.not_(operand(args[0].value)))


FUNCTIONS = (And, Or, Not)
