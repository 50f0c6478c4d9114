"""Constants: BLANK, TRUE, FALSE."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from cairn.formula.env import Environment, SqlEnvironment
from cairn.formula.functions.base import Function
from cairn.formula.sqlkit import BOOL, Compiled
from cairn.formula.types import BLANK, BOOLEAN, Type


class Blank(Function):
    """A blank value (to clear a field or compare with)."""

    key = "BLANK"
    zh = "空值"
    category = "logic"
    params = ()
    returns = BLANK
    signature = "BLANK()"
    example = 'IF({done}, BLANK(), "open")'

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return None

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return Compiled(sa.null())


class TrueFn(Function):
    """The logical value TRUE."""

    key = "TRUE"
    zh = "真"
    category = "logic"
    params = ()
    returns = BOOLEAN
    signature = "TRUE()"
    example = "TRUE()"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return True

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return Compiled(env.dialect.lit(True, BOOL))


class FalseFn(TrueFn):
    """The logical value FALSE."""

    key = "FALSE"
    zh = "假"
    signature = "FALSE()"
    example = "FALSE()"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return False

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return Compiled(env.dialect.lit(False, BOOL))


FUNCTIONS = (Blank, TrueFn, FalseFn)
