"""Arithmetic and text operators as functions: + - * / ^ & and the signs (comparisons:
``comparison``).

Arithmetic follows Excel: blank is 0, TRUE is 1, "2" is 2 ("a" is #VALUE!), x/0 is #DIV/0!.
Dates: date ± n days is a date, date - date is a number of days, datetime - datetime is a
duration (seconds), datetime ± n days or ± a duration is a datetime. A product, quotient or
power beyond 1e300 is #NUM!; one below 1e-304 is 0 (``numeric``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import sqlalchemy as sa

from cairn.formula import runtime as rt
from cairn.formula.convert import py_number, sql_number
from cairn.formula.env import Environment, SqlEnvironment
from cairn.formula.functions.base import CallInfo, Function
from cairn.formula.functions.numeric import py_div, py_mul, py_power, sql_div, sql_mul, sql_power
from cairn.formula.functions.time_shift import (
    DAY,
    py_add_seconds,
    py_date_plus,
    sql_add_seconds,
    sql_date_plus,
)
from cairn.formula.sqlkit import FLOAT, Compiled, first_error
from cairn.formula.types import DATE, DATETIME, DURATION, NUMBER, TEXT, Type

NUMBERISH = frozenset({"number", "boolean", "text", "blank"})


def _family(t: Type) -> str:
    if t.kind in ("date", "datetime"):
        return "time"
    if t.kind == "duration":
        return "duration"
    return "number"


def _mode(op: str, types: tuple[Type, ...]) -> str:
    a, b = (_family(t) for t in types)
    if (a, b) == ("number", "number"):
        return "num"
    if (a, b) == ("duration", "duration"):
        return "dur"
    if op == "+" and a == "number" and b == "time":
        return "num+time"
    if a == "time" and b == "number":
        return "time±num"
    if a == "time" and b == "duration":
        return "time±dur"
    if op == "+" and a == "duration" and b == "time":
        return "dur+time"
    if op == "-" and (a, b) == ("time", "time"):
        return "time-time"
    if "duration" in (a, b) and "number" in (a, b):
        return "num"  # a duration counts as its seconds
    return ""


class Arithmetic(Function):
    params = ("any", "any")
    category = "operator"
    modes: ClassVar[frozenset[str]] = frozenset({"num"})

    def result(self, call: CallInfo) -> Type:
        mode = _mode(self.key, call.types)
        if mode not in self.modes:
            raise call.fail(
                "formula.operand_types", left=str(call.types[0]), right=str(call.types[1])
            )
        if mode == "num":
            return NUMBER
        if mode == "dur":
            return DURATION
        if mode == "time-time":
            if call.types[0].kind == "date" and call.types[1].kind == "date":
                return NUMBER
            return DURATION
        time_t = call.types[1] if mode in ("num+time", "dur+time") else call.types[0]
        if mode in ("time±dur", "dur+time"):
            return DATETIME
        return DATE if time_t.kind == "date" else DATETIME


class Add(Arithmetic):
    key = "+"
    signature = "a + b"
    modes = frozenset({"num", "dur", "num+time", "time±num", "time±dur", "dur+time"})

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return _py_plus_minus(self.key, args, types)

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return _sql_plus_minus(self.key, args, env, types)


class Subtract(Add):
    key = "-"
    signature = "a - b"
    modes = frozenset({"num", "dur", "time±num", "time±dur", "time-time"})


def _py_plus_minus(op: str, args: list[Any], types: tuple[Type, ...]) -> Any:
    mode = _mode(op, types)
    a, b = args
    sign = 1 if op == "+" else -1
    if mode in ("num", "dur"):
        x, y = py_number(a), py_number(b)
        if isinstance(x, rt.ErrorValue):
            return x
        if isinstance(y, rt.ErrorValue):
            return y
        return x + sign * y
    if mode == "num+time":
        a, b = b, a
        types = (types[1], types[0])
    if mode in ("num+time", "time±num"):
        if a is None:
            return None
        n = py_number(b)
        if isinstance(n, rt.ErrorValue):
            return n
        if types[0].kind == "date":
            return py_date_plus(a, sign * n)
        return py_add_seconds(a, sign * n * DAY)
    if mode in ("time±dur", "dur+time"):
        if mode == "dur+time":
            a, b = b, a
        if a is None:
            return None
        return py_add_seconds(a, sign * (b or 0.0))
    # time - time
    if a is None or b is None:
        return None
    if types[0].kind == "date" and types[1].kind == "date":
        return float((a - b).days)
    return float(rt.epoch_seconds(a) - rt.epoch_seconds(b))


def _sql_plus_minus(
    op: str, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]
) -> Compiled:
    mode = _mode(op, types)
    k = env.dialect
    a, b = args
    if mode in ("num", "dur"):
        x, y = sql_number(a, types[0], env), sql_number(b, types[1], env)
        value = x.value + y.value if op == "+" else x.value - y.value
        return Compiled(sa.type_coerce(value, FLOAT), first_error(x.error, y.error))
    ta, tb = types
    if mode == "num+time":
        a, b, ta, tb = b, a, tb, ta
    if mode in ("num+time", "time±num"):
        n = sql_number(b, tb, env)
        nv = n.value if op == "+" else -n.value
        if ta.kind == "date":
            out = sql_date_plus(a.value, nv, env)
        else:
            out = sql_add_seconds(a.value, nv * DAY, env)
        return _blank_if(a.value, out, n.error)
    if mode in ("time±dur", "dur+time"):
        if mode == "dur+time":
            a, b, ta, tb = b, a, tb, ta
        t = a.value if ta.kind == "datetime" else k.date_to_datetime(a.value)
        secs = sa.func.coalesce(b.value, 0.0)
        out = sql_add_seconds(t, secs if op == "+" else -secs, env)
        return _blank_if(a.value, out, None)
    # time - time
    if ta.kind == "date" and tb.kind == "date":
        value = sa.cast(k.days_between(a.value, b.value), FLOAT)
    else:
        x = a.value if ta.kind == "datetime" else k.date_to_datetime(a.value)
        y = b.value if tb.kind == "datetime" else k.date_to_datetime(b.value)
        value = sa.cast(k.epoch(x) - k.epoch(y), FLOAT)
    return Compiled(sa.type_coerce(value, FLOAT))


def _blank_if(t: Any, out: Compiled, extra: Any) -> Compiled:
    """A blank date/time stays blank."""
    value = sa.case((t.is_(None), None), else_=out.value)
    error = sa.case((t.is_(None), None), else_=out.error) if out.error is not None else None
    return Compiled(sa.type_coerce(value, out.value.type), first_error(extra, error))


class Multiply(Function):
    key = "*"
    category = "operator"
    signature = "a * b"
    params = ("number", "number")
    returns = NUMBER

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return py_mul(*args)

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return sql_mul(args[0].value, args[1].value, env)


class Divide(Function):
    key = "/"
    category = "operator"
    signature = "a / b"
    params = ("number", "number")
    returns = NUMBER

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return py_div(*args)

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return sql_div(args[0].value, args[1].value, env)


class Power(Function):
    key = "^"
    category = "operator"
    signature = "a ^ b"
    params = ("number", "number")
    returns = NUMBER

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return py_power(*args)

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return sql_power(args[0].value, args[1].value, env)


class Negate(Function):
    key = "NEG"
    category = "operator"
    signature = "-a"
    params = ("number",)
    returns = NUMBER

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return -args[0] if args[0] != 0 else 0.0

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return Compiled(sa.type_coerce(0.0 - args[0].value, FLOAT))


class Plus(Function):
    key = "POS"
    category = "operator"
    signature = "+a"
    params = ("number",)
    returns = NUMBER

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return args[0]

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return args[0]


class Concatenate(Function):
    key = "&"
    category = "operator"
    signature = "a & b"
    params = ("text", "text")
    returns = TEXT

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return args[0] + args[1]

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return Compiled(env.dialect.concat(args[0].value, args[1].value))


OPERATORS = (
    Add,
    Subtract,
    Multiply,
    Divide,
    Power,
    Negate,
    Plus,
    Concatenate,
)
