"""What the functions that pick a value among branches share (IF, IFS, SWITCH, BLANKVALUE,
IFERROR): the type of the result, each branch converted to it, and the CASE they compile to;
``Fallback``, the shape of BLANKVALUE and IFERROR (a value, or a second one in its place).

Only the branch returned is evaluated (an error in a branch not taken does not count). A
condition is a boolean, a number (TRUE unless 0) or a blank, which counts as FALSE.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from cairn.formula import runtime as rt
from cairn.formula.convert import py_bool, py_convert, sql_convert
from cairn.formula.env import Environment, SqlEnvironment
from cairn.formula.functions.base import CallInfo, LazyFunction
from cairn.formula.sqlkit import SA_TYPES, TEXT, Compiled
from cairn.formula.typecheck import unify
from cairn.formula.types import BLANK, Type

Thunk = Callable[[], Any]


def branch_result(types: Sequence[Type]) -> Type:
    """The type of a value picked among branches of ``types``: the first one not blank (a date
    gives way to a later datetime, a boolean to a later number); blank when all are."""
    found = BLANK
    for t in types:
        if t.kind != "blank" and found.kind in ("blank", "date", "boolean"):
            if found.kind == "boolean" and t.kind != "number":
                continue
            found = t
    return found


def conversion(result: Type) -> str:
    """The conversion a branch value gets to the result type (date → datetime, TRUE → 1)."""
    return {"datetime": "datetime?", "number": "number?"}.get(result.kind, "any")


def branch_py(thunk: Thunk, result: Type) -> Any:
    return py_convert(thunk(), conversion(result))


def branch_sql(c: Compiled, t: Type, result: Type, env: SqlEnvironment) -> Compiled:
    if t.kind == "blank" and result.kind != "blank":
        return Compiled(env.dialect.null(sa_type(result)), c.error)
    return sql_convert(c, t, conversion(result), env)


def sa_type(t: Type) -> Any:
    return SA_TYPES.get(t.kind, TEXT)


def cond_py(v: Any) -> Any:
    return v if isinstance(v, rt.ErrorValue) else py_bool(v)


def select_sql(
    arms: list[tuple[Compiled, Compiled]], default: Compiled | None, result: Type
) -> Compiled:
    """CASE over (condition, branch) pairs; a condition's error wins when it is reached."""
    whens_v = []
    whens_e = []
    any_error = False
    for cond, branch in arms:
        if cond.error is not None:
            any_error = True
            whens_v.append((cond.error.is_not(None), sa.null()))
            whens_e.append((cond.error.is_not(None), cond.error))
        whens_v.append((cond.value, branch.value))
        whens_e.append((cond.value, branch.error if branch.error is not None else sa.null()))
        any_error = any_error or branch.error is not None
    else_v = default.value if default is not None else None
    value = sa.case(*whens_v, else_=else_v)
    if default is not None and default.error is not None:
        any_error = True
    error = None
    if any_error:
        else_e = default.error if default is not None and default.error is not None else None
        error = sa.case(*whens_e, else_=else_e)
    return Compiled(sa.type_coerce(value, sa_type(result)), error)


class Fallback(LazyFunction):
    """``F(value, fallback)``: the value, or the fallback in its place when the value is one
    ``F`` replaces (BLANKVALUE: a blank; IFERROR: an error). The fallback is evaluated only
    then; whichever is returned is converted to the result's type (``branch_result``)."""

    category = "logic"
    params = ("any", "any")

    def replaces(self, v: Any) -> bool:
        """Does the fallback take the place of ``v`` (a value, or an ``ErrorValue``)?"""
        raise NotImplementedError

    def replaced_sql(
        self, value: Compiled, t: Type, first: Compiled, second: Compiled, result: Type
    ) -> Compiled:
        """In SQL: ``first`` (the value, compiled as ``value`` of type ``t``) or ``second``
        (the fallback), each converted to ``result``."""
        raise NotImplementedError

    def result(self, call: CallInfo) -> Type:
        return unify(call, [0, 1])

    def py_lazy(self, args: Sequence[Thunk], env: Environment, types: tuple[Type, ...]) -> Any:
        result = branch_result(types)
        v = args[0]()
        if self.replaces(v):
            return branch_py(args[1], result)
        return py_convert(v, conversion(result))  # an error not replaced stays the error

    def sql_lazy(
        self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]
    ) -> Compiled:
        result = branch_result(types)
        first = branch_sql(args[0], types[0], result, env)
        second = branch_sql(args[1], types[1], result, env)
        return self.replaced_sql(args[0], types[0], first, second, result)
