"""Moving and between dates: DATEADD, DATEDIF, DAYS.

DATEADD and DATEDIF take their unit as a text literal. A result outside 0001-01-01 …
9999-12-31 is #NUM!; a blank date gives a blank result.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from cairn.formula import runtime as rt
from cairn.formula.env import Environment, SqlEnvironment
from cairn.formula.functions.base import CallInfo
from cairn.formula.functions.dates import DateFunction
from cairn.formula.functions.time_shift import (
    DAY,
    py_add_months,
    py_add_seconds,
    py_date_plus,
    sql_add_months,
    sql_add_seconds,
    sql_date_plus,
)
from cairn.formula.sqlkit import DATE_T, DATETIME_T, FLOAT, Compiled, code, when
from cairn.formula.types import DATE, DATETIME, NUMBER, Type


def py_datedif(s: date, e: date, unit: str) -> Any:
    if s > e:
        return rt.NUM
    if unit == "d":
        return float((e - s).days)
    months = (e.year * 12 + e.month) - (s.year * 12 + s.month) - (1 if e.day < s.day else 0)
    if unit == "m":
        return float(months)
    if unit == "y":
        return float(months // 12)
    if unit == "ym":
        return float(months % 12)
    back = months if unit == "md" else 12 * (months // 12)
    return float((e - rt.add_months(s, back)).days)  # type: ignore[operator]


UNITS = {
    "year": "year",
    "years": "year",
    "y": "year",
    "年": "year",
    "month": "month",
    "months": "month",
    "m": "month",
    "月": "month",
    "week": "week",
    "weeks": "week",
    "w": "week",
    "周": "week",
    "day": "day",
    "days": "day",
    "d": "day",
    "日": "day",
    "天": "day",
    "hour": "hour",
    "hours": "hour",
    "h": "hour",
    "小时": "hour",
    "minute": "minute",
    "minutes": "minute",
    "mi": "minute",
    "分钟": "minute",
    "second": "second",
    "seconds": "second",
    "s": "second",
    "秒": "second",
}
SECONDS = {"hour": 3600, "minute": 60, "second": 1}


class DateAdd(DateFunction):
    """A date or date and time moved by n units (years, months, weeks, days, hours, minutes,
    seconds; n may be negative)."""

    key = "DATEADD"
    zh = "日期加减"
    params = ("any", "number", "literal")
    signature = 'DATEADD(date, n, unit)  — unit: "years", "months", "weeks", "days", "hours", "minutes", "seconds"'
    example = 'DATEADD({signed_on}, 1, "months")'

    def result(self, call: CallInfo) -> Type:
        if call.types[0].kind not in ("date", "datetime", "blank"):
            raise call.fail("formula.arg_type.date", 0, n=1)
        unit = UNITS.get(str(call.literals[2]).strip().lower())
        if unit is None:
            raise call.fail("formula.unit", 2, unit=call.literals[2])
        if call.types[0].kind == "date" and unit not in SECONDS:
            return DATE
        return DATETIME

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        v, n, unit = args[0], args[1], UNITS[args[2].strip().lower()]
        if v is None:
            return None
        count = rt.clamp_int(n, -(10**8), 10**8)
        if unit in ("year", "month"):
            return py_add_months(v, count * (12 if unit == "year" else 1))
        if unit in ("week", "day"):
            days = count * (7 if unit == "week" else 1)
            if isinstance(v, datetime):
                return py_add_seconds(v, float(days * DAY))
            return py_date_plus(v, float(days))
        return py_add_seconds(rt.as_datetime(v), float(count * SECONDS[unit]))

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        k = env.dialect
        unit = UNITS[str(args[2].literal).strip().lower()]
        v = args[0].value
        t = types[0]
        if t.kind == "blank":
            return Compiled(k.null(DATETIME_T if unit in SECONDS else DATE_T))
        count = k.trunc_int(args[1].value, -(10**8), 10**8)
        if unit in ("year", "month"):
            months = count * 12 if unit == "year" else count
            out = sql_add_months(v, months, t.kind == "datetime", env)
        elif unit in ("week", "day") and t.kind == "date":
            out = sql_date_plus(v, sa.cast(count * (7 if unit == "week" else 1), FLOAT), env)
        else:
            dt = v if t.kind == "datetime" else k.date_to_datetime(v)
            secs = count * (
                DAY * (7 if unit == "week" else 1) if unit in ("week", "day") else SECONDS[unit]
            )
            out = sql_add_seconds(dt, sa.cast(secs, FLOAT), env)
        value = sa.case((v.is_(None), None), else_=out.value)
        error = sa.case((v.is_(None), None), else_=out.error)
        return Compiled(sa.type_coerce(value, out.value.type), error)


DIF_UNITS = ("d", "m", "y", "md", "ym", "yd")


class DateDif(DateFunction):
    """The whole days, months or years between two dates."""

    key = "DATEDIF"
    zh = "日期差"
    params = ("date?", "date?", "literal")
    returns = NUMBER
    signature = 'DATEDIF(start, end, unit)  — unit: "d", "m", "y", "md", "ym", "yd"'
    example = 'DATEDIF({birthday}, TODAY(), "y")'

    def result(self, call: CallInfo) -> Type:
        if str(call.literals[2]).strip().lower() not in DIF_UNITS:
            raise call.fail("formula.unit", 2, unit=call.literals[2])
        return NUMBER

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        s, e, unit = args[0], args[1], args[2].strip().lower()
        if s is None or e is None:
            return None
        return py_datedif(s, e, unit)

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        k = env.dialect
        s, e = args[0].value, args[1].value
        unit = str(args[2].literal).strip().lower()
        if not k.pg:  # SQLite: the same Python code, as a registered function (shallow SQL)
            v = sa.func.cairn_datedif(s, e, unit, type_=FLOAT)
            return Compiled(sa.type_coerce(v, FLOAT), sa.case((s > e, code("#NUM!"))))
        later = k.day_number(s) > k.day_number(e)
        if unit == "d":
            value: Any = k.day_number(e) - k.day_number(s)
        else:
            months = (
                (k.part("year", e) * 12 + k.part("month", e))
                - (k.part("year", s) * 12 + k.part("month", s))
                - sa.case((k.part("day", e) < k.part("day", s), 1), else_=0)
            )
            safe = sa.case((later, None), else_=months)
            if unit == "m":
                value = safe
            elif unit == "y":
                value = safe // 12
            elif unit == "ym":
                value = safe % 12
            else:
                back = safe if unit == "md" else (safe // 12) * 12
                shifted = sql_add_months(s, back, False, env).value
                value = k.day_number(e) - k.day_number(shifted)
        value = sa.case((later, None), else_=sa.cast(value, FLOAT))
        return Compiled(sa.type_coerce(value, FLOAT), when(later, "#NUM!"))


class Days(DateFunction):
    """The number of days from the start date to the end date."""

    key = "DAYS"
    zh = "天数"
    params = ("date?", "date?")
    returns = NUMBER
    signature = "DAYS(end, start)"
    example = "DAYS(TODAY(), {last_contact})"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        if args[0] is None or args[1] is None:
            return None
        return float((args[0] - args[1]).days)

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        k = env.dialect
        return Compiled(sa.cast(k.days_between(args[0].value, args[1].value), FLOAT))


FUNCTIONS = (
    DateAdd,
    DateDif,
    Days,
)
