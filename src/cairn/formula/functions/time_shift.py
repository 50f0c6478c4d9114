"""Moving a date by days and a date and time by seconds, in both back ends: a result outside
0001-01-01 … 9999-12-31 is #NUM!.
"""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa

from cairn.formula import runtime as rt
from cairn.formula.env import SqlEnvironment
from cairn.formula.sqlkit import DATE_T, DATETIME_T, Compiled, code

DAY = 86400


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
