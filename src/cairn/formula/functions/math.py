"""Math: SUM, AVERAGE, MIN, MAX (of values; of a relation see aggregates), ROUND, ROUNDUP,
ROUNDDOWN, ABS, MOD, POWER, SQRT, INT.

ROUND works on the number's 15 significant digits, half away from zero (ROUND(2.675, 2) is
2.68, ROUND(-2.5, 0) is -3) as Excel. MOD takes the divisor's sign (MOD(-1, 3) is 2).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import sqlalchemy as sa

from cairn.formula import runtime as rt
from cairn.formula.env import Environment, SqlEnvironment
from cairn.formula.functions.aggregates import Aggregate
from cairn.formula.functions.base import Function
from cairn.formula.functions.numeric import py_div, py_mul, py_power, sql_div, sql_mul, sql_power
from cairn.formula.sqlkit import FLOAT, Compiled, code, first_error, when
from cairn.formula.types import NUMBER, Type


class MathFunction(Function):
    category = "math"
    returns = NUMBER


class Sum(Aggregate):
    """The sum of the numbers, or of a field over the linked records."""

    key = "SUM"
    zh = "求和"
    signature = "SUM(number1, [number2, …])  |  SUM({relation.field})"
    example = "SUM({price}, {tax}, {shipping})"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        if self.is_list(types):
            return self.py_list(args[0], env, types)
        total = 0.0
        for a in args:
            if a is not None:
                total += a
        return total

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        if self.is_list(types):
            return self.sql_list(args[0], env, types)
        total: Any = 0.0
        for a in args:
            total = total + sa.func.coalesce(a.value, 0.0)
        return Compiled(sa.type_coerce(total, FLOAT))


class Average(Aggregate):
    """The average of the numbers, or of a field over the linked records (blanks left out)."""

    key = "AVERAGE"
    zh = "平均值"
    signature = "AVERAGE(number1, [number2, …])  |  AVERAGE({relation.field})"
    example = "AVERAGE({q1}, {q2}, {q3}, {q4})"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        if self.is_list(types):
            return self.py_list(args[0], env, types)
        present = [a for a in args if a is not None]
        if not present:
            return rt.DIV0
        total = 0.0
        for a in present:
            total += a
        return total / len(present)

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        if self.is_list(types):
            return self.sql_list(args[0], env, types)
        total: Any = 0.0
        count: Any = 0.0
        for a in args:
            total = total + sa.func.coalesce(a.value, 0.0)
            count = count + sa.case((a.value.is_(None), 0.0), else_=1.0)
        value = sa.case((count == 0.0, None), else_=total / sa.case((count > 0, count), else_=None))
        return Compiled(sa.type_coerce(value, FLOAT), when(count == 0.0, "#DIV/0!"))


class Min(Aggregate):
    """The smallest of the numbers, or of a field over the linked records."""

    key = "MIN"
    zh = "最小值"
    signature = "MIN(number1, [number2, …])  |  MIN({relation.field})"
    example = "MIN({bid1}, {bid2})"
    pick: ClassVar[Any] = min

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        if self.is_list(types):
            return self.py_list(args[0], env, types)
        present = [a for a in args if a is not None]
        return float(type(self).pick(present)) if present else 0.0

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        if self.is_list(types):
            return self.sql_list(args[0], env, types)
        k = env.dialect
        if k.pg:
            pick = sa.func.least if self.key == "MIN" else sa.func.greatest
            out = pick(*(a.value for a in args))  # ignores NULLs
        else:
            # SQLite's min()/max() of several values is NULL when one is: skip blanks by hand.
            out = None
            for a in args:
                v = a.value
                if out is None:
                    out = v
                    continue
                better = v < out if self.key == "MIN" else v > out
                out = sa.case((v.is_(None), out), (out.is_(None), v), (better, v), else_=out)
        return Compiled(sa.type_coerce(sa.func.coalesce(out, 0.0), FLOAT))


class Max(Min):
    """The largest of the numbers, or of a field over the linked records."""

    key = "MAX"
    zh = "最大值"
    signature = "MAX(number1, [number2, …])  |  MAX({relation.field})"
    example = "MAX({bid1}, {bid2})"
    pick = max


class RoundBase(MathFunction):
    params = ("number", "number")
    min_args = 1
    mode: ClassVar[str] = "half"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return rt.round_number(args[0], args[1] if len(args) > 1 else 0.0, self.mode)

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        k = env.dialect
        digits = args[1].value if len(args) > 1 else k.lit(0.0, FLOAT)
        if not k.pg:
            return Compiled(sa.func.cairn_round(args[0].value, digits, self.mode, type_=FLOAT))
        n = k.trunc_int(digits, -300, 300)
        d = k.num15(args[0].value)
        if self.mode == "half":
            r = sa.func.round(d, n)
        else:
            down = sa.func.trunc(d, n)
            if self.mode == "down":
                r = down
            else:
                step = sa.func.power(sa.cast(10, sa.Numeric()), -n)
                r = sa.case((d == down, down), else_=down + sa.func.sign(d) * step)
        return Compiled(sa.cast(r, FLOAT))


class Round(RoundBase):
    """The number rounded to a number of digits (0 when left out), halves away from zero."""

    key = "ROUND"
    zh = "四舍五入"
    signature = "ROUND(number, [digits])"
    example = "ROUND(2.675, 2)"
    example_result = "2.68"


class RoundUp(RoundBase):
    """The number rounded away from zero to a number of digits."""

    key = "ROUNDUP"
    zh = "向上舍入"
    mode = "up"
    signature = "ROUNDUP(number, [digits])"
    example = "ROUNDUP(3.141, 2)"
    example_result = "3.15"


class RoundDown(RoundBase):
    """The number rounded toward zero to a number of digits."""

    key = "ROUNDDOWN"
    zh = "向下舍入"
    mode = "down"
    signature = "ROUNDDOWN(number, [digits])"
    example = "ROUNDDOWN(-3.149, 2)"
    example_result = "-3.14"


class Int(MathFunction):
    """The number rounded down to a whole number."""

    key = "INT"
    zh = "取整"
    params = ("number",)
    signature = "INT(number)"
    example = "INT(-2.5)"
    example_result = "-3"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return float(math.floor(args[0]))

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return Compiled(sa.cast(env.dialect.floor(args[0].value), FLOAT))


class Abs(MathFunction):
    """The number without its sign."""

    key = "ABS"
    zh = "绝对值"
    params = ("number",)
    signature = "ABS(number)"
    example = "ABS(-3)"
    example_result = "3"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return abs(args[0])

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return Compiled(sa.type_coerce(sa.func.abs(args[0].value), FLOAT))


class Mod(MathFunction):
    """The remainder of a division (with the divisor's sign)."""

    key = "MOD"
    zh = "求余"
    params = ("number", "number")
    signature = "MOD(number, divisor)"
    example = "MOD(-1, 3)"
    example_result = "2"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        a, b = args
        q = py_div(a, b)
        if isinstance(q, rt.ErrorValue):
            return q
        p = py_mul(b, float(math.floor(q)))
        if isinstance(p, rt.ErrorValue):
            return p
        return a - p

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        a, b = args[0].value, args[1].value
        q = sql_div(a, b, env)
        p = sql_mul(b, env.dialect.floor(q.value), env)
        value = sa.type_coerce(a - p.value, FLOAT)
        return Compiled(value, first_error(q.error, p.error))


class Power(MathFunction):
    """A number raised to a power."""

    key = "POWER"
    zh = "乘方"
    params = ("number", "number")
    signature = "POWER(number, power)"
    example = "POWER(2, 10)"
    example_result = "1024"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return py_power(*args)

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return sql_power(args[0].value, args[1].value, env)


class Sqrt(MathFunction):
    """The square root of a number (#NUM! when negative)."""

    key = "SQRT"
    zh = "平方根"
    params = ("number",)
    signature = "SQRT(number)"
    example = "SQRT(16)"
    example_result = "4"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return rt.NUM if args[0] < 0 else math.sqrt(args[0])

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        x = args[0].value
        value = sa.func.sqrt(sa.case((x >= 0.0, x), else_=None))
        return Compiled(sa.type_coerce(value, FLOAT), sa.case((x < 0.0, code("#NUM!"))))


FUNCTIONS = (Sum, Average, Min, Max, Round, RoundUp, RoundDown, Int, Abs, Mod, Power, Sqrt)
