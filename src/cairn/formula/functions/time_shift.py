"""Moving a date by days, a date and time by seconds, and either by months, in both back ends:
a result outside 0001-01-01 … 9999-12-31 is #NUM!.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.formula import runtime as rt
from cairn.formula.env import SqlEnvironment
from cairn.formula.sqlkit import DATE_T, DATETIME_T, Compiled, code

DAY = 86400
MAX_MONTH = 9999 * 12 + 11
MIN_MONTH = 12  # 0001-01


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


# -- months --------------------------------------------------------------------------------
def py_add_months(v: Any, months: int) -> Any:
    d = rt.add_months(rt.as_date(v), months)
    if isinstance(d, rt.ErrorValue) or not isinstance(v, datetime):
        return d
    return datetime.combine(d, v.time())


def sql_add_months(v: Any, months: Any, is_datetime: bool, env: SqlEnvironment) -> Compiled:
    k = env.dialect
    t = DATETIME_T if is_datetime else DATE_T
    if not k.pg:  # SQLite: the same Python code, as a registered function (shallow SQL)
        out = sa.func.cairn_add_months(v, months, type_=t)
        bad = sa.and_(v.is_not(None), out.is_(None))
        return Compiled(sa.type_coerce(out, t), sa.case((bad, code("#NUM!"))))
    total = k.part("year", v) * 12 + k.part("month", v) - 1 + months
    ok = sa.and_(total >= MIN_MONTH, total <= MAX_MONTH)
    if k.pg:
        shifted = v + sa.func.make_interval(
            0, sa.cast(sa.case((ok, months), else_=None), sa.Integer())
        )
        value = shifted if is_datetime else sa.cast(shifted, DATE_T)
    else:
        safe = sa.case((ok, total), else_=None)
        year = safe // 12
        month = safe % 12 + 1
        day = sa.func.min(k.part("day", v), k.days_in_month(year, month))
        value = sa.func.printf("%04d-%02d-%02d", year, month, day)
        if is_datetime:
            value = k.concat(value, sa.func.substr(v, 11))
    t = DATETIME_T if is_datetime else DATE_T
    value = sa.case((ok, value), else_=None)
    return Compiled(sa.type_coerce(value, t), sa.case((sa.not_(ok), code("#NUM!"))))
