"""Operators as functions: + - * / ^ & = <> < <= > >= and the signs.

Arithmetic follows Excel: blank is 0, TRUE is 1, "2" is 2 ("a" is #VALUE!), x/0 is #DIV/0!.
Dates: date ± n days is a date, date - date is a number of days, datetime - datetime is a
duration (seconds), datetime ± n days or ± a duration is a datetime. A product, quotient or
power beyond 1e300 is #NUM!; one below 1e-304 is 0 (decided from logarithms in both back ends,
so they agree exactly and PostgreSQL never overflows).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import sqlalchemy as sa

from cairn.formula import runtime as rt
from cairn.formula.convert import py_number, py_text, sql_number, sql_text
from cairn.formula.env import Environment, SqlEnvironment
from cairn.formula.functions.base import CallInfo, Function
from cairn.formula.sqlkit import BOOL, DATE_T, DATETIME_T, FLOAT, Compiled, code, first_error
from cairn.formula.types import BOOLEAN, DATE, DATETIME, DURATION, NUMBER, TEXT, Type

LN_HUGE = math.log(rt.HUGE)  # 690.77…
LN_TINY = -700.0
DAY = 86400
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


# -- shared number rules -------------------------------------------------------------------
def py_mul(a: float, b: float) -> Any:
    if a == 0 or b == 0:
        return 0.0
    ls = math.log(abs(a)) + math.log(abs(b))
    if ls > LN_HUGE:
        return rt.NUM
    if ls < LN_TINY:
        return 0.0
    return a * b


def py_div(a: float, b: float) -> Any:
    if b == 0:
        return rt.DIV0
    if a == 0:
        return 0.0
    ls = math.log(abs(a)) - math.log(abs(b))
    if ls > LN_HUGE:
        return rt.NUM
    if ls < LN_TINY:
        return 0.0
    return a / b


def sql_mul(a: Any, b: Any, env: SqlEnvironment) -> Compiled:
    d = env.dialect
    ls = d.ln(sa.func.abs(a)) + d.ln(sa.func.abs(b))
    value = sa.case(
        (ls.is_(None), 0.0),
        (ls > LN_HUGE, sa.null()),
        (ls < LN_TINY, 0.0),
        else_=a * b,
    )
    return Compiled(sa.type_coerce(value, FLOAT), sa.case((ls > LN_HUGE, code("#NUM!"))))


def sql_div(a: Any, b: Any, env: SqlEnvironment) -> Compiled:
    d = env.dialect
    ls = d.ln(sa.func.abs(a)) - d.ln(sa.func.abs(b))
    value = sa.case(
        (b == 0.0, sa.null()),
        (a == 0.0, 0.0),
        (ls > LN_HUGE, sa.null()),
        (ls < LN_TINY, 0.0),
        else_=a / sa.case((b != 0.0, b), else_=sa.null()),
    )
    error = sa.case((b == 0.0, code("#DIV/0!")), (ls > LN_HUGE, code("#NUM!")))
    return Compiled(sa.type_coerce(value, FLOAT), error)


def py_add_seconds(t: Any, seconds: float) -> Any:
    secs = rt.clamp_int(seconds, -(10**12), 10**12)
    total = rt.epoch_seconds(t) + secs
    if not MIN_EPOCH <= total <= MAX_EPOCH:
        return rt.NUM
    return rt.from_epoch(total)


MIN_EPOCH = rt.epoch_seconds(rt.DATE_MIN)
MAX_EPOCH = rt.epoch_seconds(rt.DATE_MAX) + DAY - 1
MAX_DAY = (rt.DATE_MAX - rt.DATE_MIN).days


def py_date_plus(d: Any, days: float) -> Any:
    n = math.floor(max(-1e8, min(1e8, days)))
    day = d.toordinal() - 1 + n  # days since 0001-01-01
    if not 0 <= day <= MAX_DAY:
        return rt.NUM
    return type(d).fromordinal(day + 1)


def sql_date_plus(d: Any, days: Any, env: SqlEnvironment) -> Compiled:
    k = env.dialect
    n = k.greatest(k.least(k.floor(days), 1e8), -1e8)
    n = sa.cast(n, sa.Integer())
    day = k.day_number(d) + n
    ok = sa.and_(day >= 0, day <= MAX_DAY)
    value = sa.case((ok, k.from_day_number(sa.case((ok, day), else_=None))), else_=None)
    return Compiled(sa.type_coerce(value, DATE_T), sa.case((sa.not_(ok), code("#NUM!"))))


def sql_add_seconds(t: Any, seconds: Any, env: SqlEnvironment) -> Compiled:
    k = env.dialect
    secs = k.trunc_int(seconds, -(10**12), 10**12)
    total = k.epoch(t) + secs
    ok = sa.and_(total >= MIN_EPOCH, total <= MAX_EPOCH)
    value = sa.case((ok, k.from_epoch(sa.case((ok, total), else_=None))), else_=None)
    return Compiled(sa.type_coerce(value, DATETIME_T), sa.case((sa.not_(ok), code("#NUM!"))))


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


def py_power(a: float, b: float) -> Any:
    """Excel ^: 0^0 and a negative base with a fractional power are #NUM!, 0^-n is #DIV/0!."""
    if a == 0:
        if b == 0:
            return rt.NUM
        return rt.DIV0 if b < 0 else 0.0
    if a < 0 and b != math.trunc(b):
        return rt.NUM
    lp = b * math.log(abs(a))
    if lp > LN_HUGE:
        return rt.NUM
    if lp < LN_TINY:
        return 0.0
    return math.pow(a, b)


def sql_power(a: Any, b: Any, env: SqlEnvironment) -> Compiled:
    k = env.dialect
    lp = b * k.ln(sa.func.abs(a))
    fractional = b != sa.func.trunc(b) if k.pg else b != sa.cast(b, sa.Integer())
    value = sa.case(
        (a == 0.0, sa.case((b > 0.0, 0.0), else_=None)),
        (sa.and_(a < 0.0, fractional), None),
        (lp > LN_HUGE, None),
        (lp < LN_TINY, 0.0),
        else_=sa.func.power(a, b),
    )
    error = sa.case(
        (a == 0.0, sa.case((b == 0.0, code("#NUM!")), (b < 0.0, code("#DIV/0!")), else_=None)),
        (sa.and_(a < 0.0, fractional), code("#NUM!")),
        (lp > LN_HUGE, code("#NUM!")),
    )
    return Compiled(sa.type_coerce(value, FLOAT), error)


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


# -- comparison ----------------------------------------------------------------------------
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
    Add,
    Subtract,
    Multiply,
    Divide,
    Power,
    Negate,
    Plus,
    Concatenate,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
)
