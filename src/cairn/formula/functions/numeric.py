"""The number rules that operators and math functions share: a product, quotient or power
beyond 1e300 is #NUM!, one below 1e-304 is 0 (decided from logarithms in both back ends, so they
agree exactly and PostgreSQL never overflows); x/0 is #DIV/0!.
"""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa

from cairn.formula import runtime as rt
from cairn.formula.env import SqlEnvironment
from cairn.formula.sqlkit import FLOAT, Compiled, code

LN_HUGE = math.log(rt.HUGE)  # 690.77…
LN_TINY = -700.0


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
