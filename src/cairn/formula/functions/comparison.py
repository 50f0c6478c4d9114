"""Comparison operators as functions: = <> < <= > >=.

Both sides compare as numbers (booleans and durations too), as texts (case folded) or as dates
and times; a blank takes the other side's kind (0, "", the earliest date). Two different kinds
are a type error.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from cairn.formula import runtime as rt
from cairn.formula.convert import py_number, py_text, sql_number, sql_text
from cairn.formula.env import Environment, SqlEnvironment
from cairn.formula.functions.base import CallInfo, Function
from cairn.formula.sqlkit import BOOL, DATETIME_T, Compiled, first_error
from cairn.formula.types import BOOLEAN, Type


def compare_family(t: Type) -> str:
    if t.kind in ("number", "boolean", "duration"):
        return "number"
    if t.kind in ("date", "datetime"):
        return "time"
    return t.kind  # text, blank


def py_compare_operands(a: Any, b: Any, types: tuple[Type, ...]) -> tuple[Any, Any] | rt.ErrorValue:
    fam = {compare_family(t) for t in types} - {"blank"}
    family = fam.pop() if fam else "number"
    if family == "number":
        x, y = py_number(a), py_number(b)
        if isinstance(x, rt.ErrorValue):
            return x
        if isinstance(y, rt.ErrorValue):
            return y
        return x, y
    if family == "text":
        return rt.fold(py_text(a)), rt.fold(py_text(b))
    low = rt.as_datetime(rt.DATE_MIN)
    x = low if a is None else rt.as_datetime(a)
    y = low if b is None else rt.as_datetime(b)
    return x, y


class Comparison(Function):
    params = ("any", "any")
    returns = BOOLEAN
    category = "operator"

    def result(self, call: CallInfo) -> Type:
        fam = {compare_family(t) for t in call.types} - {"blank"}
        if len(fam) > 1:
            raise call.fail(
                "formula.compare_types", left=str(call.types[0]), right=str(call.types[1])
            )
        return BOOLEAN

    def test(self, x: Any, y: Any) -> bool:
        raise NotImplementedError

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        got = py_compare_operands(args[0], args[1], types)
        if isinstance(got, rt.ErrorValue):
            return got
        return self.test(*got)

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        k = env.dialect
        fam = {compare_family(t) for t in types} - {"blank"}
        family = fam.pop() if fam else "number"
        if family == "number":
            x, y = (sql_number(c, t, env) for c, t in zip(args, types, strict=True))
            return Compiled(self.test(x.value, y.value), first_error(x.error, y.error))
        if family == "text":
            x, y = (sql_text(c, t, env) for c, t in zip(args, types, strict=True))
            xv = k.binary_text(k.fold(x.value))
            yv = k.binary_text(k.fold(y.value))
            return Compiled(self.test(xv, yv))
        low = k.lit(rt.as_datetime(rt.DATE_MIN), DATETIME_T)
        if not k.pg:
            low = sa.func.datetime(low)
        vals = []
        for c, t in zip(args, types, strict=True):
            if t.kind == "blank":
                vals.append(low)
                continue
            v = c.value if t.kind == "datetime" else k.date_to_datetime(c.value)
            vals.append(sa.func.coalesce(v, low))
        return Compiled(sa.type_coerce(self.test(vals[0], vals[1]), BOOL))


class Eq(Comparison):
    key = "="
    signature = "a = b"

    def test(self, x: Any, y: Any) -> Any:
        return x == y


class Ne(Comparison):
    key = "<>"
    signature = "a <> b"

    def test(self, x: Any, y: Any) -> Any:
        return x != y


class Lt(Comparison):
    key = "<"
    signature = "a < b"

    def test(self, x: Any, y: Any) -> Any:
        return x < y


class Le(Comparison):
    key = "<="
    signature = "a <= b"

    def test(self, x: Any, y: Any) -> Any:
        return x <= y


class Gt(Comparison):
    key = ">"
    signature = "a > b"

    def test(self, x: Any, y: Any) -> Any:
        return x > y


class Ge(Comparison):
    key = ">="
    signature = "a >= b"

    def test(self, x: Any, y: Any) -> Any:
        return x >= y


OPERATORS = (
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
)
