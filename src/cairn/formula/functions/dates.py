"""Dates: TODAY, NOW, DATE, YEAR, MONTH, DAY, HOUR, MINUTE, SECOND, WEEKDAY, DATEADD, DATEDIF,
DAYS, WORKDAY, WORKDAYS.

Dates run from 0001-01-01 to 9999-12-31; a result outside is #NUM!. A blank date gives a blank
result. TODAY() and NOW() are the installation's local date and time (from the injected clock).
DATEADD and DATEDIF take their unit as a text literal. WORKDAY and WORKDAYS use the mainland
China working calendar (statutory holidays and make-up working days), #NUM! outside its years.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

import sqlalchemy as sa

from cairn.core.clock import note_clock_read
from cairn.formula import runtime as rt
from cairn.formula.env import Environment, SqlEnvironment
from cairn.formula.functions.base import CallInfo, Function
from cairn.formula.functions.time_shift import (
    DAY,
    py_add_seconds,
    py_date_plus,
    sql_add_seconds,
    sql_date_plus,
)
from cairn.formula.sqlkit import DATE_T, DATETIME_T, FLOAT, Compiled, code, when
from cairn.formula.types import DATE, DATETIME, NUMBER, Type

MAX_MONTH = 9999 * 12 + 11
MIN_MONTH = 12  # 0001-01


class DateFunction(Function):
    category = "date"


class Today(DateFunction):
    """Today's date (in the installation's time zone)."""

    key = "TODAY"
    zh = "今天"
    returns = DATE
    signature = "TODAY()"
    example = "DAYS(TODAY(), {last_contact})"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return env.today

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return Compiled(env.dialect.lit(env.env.today, DATE_T))


class Now(DateFunction):
    """The current date and time."""

    key = "NOW"
    zh = "现在"
    returns = DATETIME
    signature = "NOW()"
    example = "NOW() - {created_at}"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        note_clock_read(time_of_day=True)
        return env.now.replace(microsecond=0)

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        note_clock_read(time_of_day=True)  # the SQL holds this second, not just today
        k = env.dialect
        v = k.lit(env.env.now.replace(microsecond=0), DATETIME_T)
        return Compiled(v if k.pg else sa.type_coerce(sa.func.datetime(v), DATETIME_T))


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


def py_make_date(y: float, m: float, d: float) -> Any:
    yi = rt.clamp_int(y, -(10**6), 10**6)
    mi = rt.clamp_int(m, -(10**7), 10**7)
    di = rt.clamp_int(d, -(10**8), 10**8)
    total = yi * 12 + mi - 1
    if not MIN_MONTH <= total <= MAX_MONTH:
        return rt.NUM
    year, m0 = divmod(total, 12)
    return py_date_plus(date(year, m0 + 1, 1), di - 1)


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


class MakeDate(DateFunction):
    """The date of a year, month and day."""

    key = "DATE"
    zh = "日期"
    params = ("number", "number", "number")
    returns = DATE
    signature = "DATE(year, month, day)"
    example = "DATE(2024, 13, 1)"
    example_result = "2025-01-01"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return py_make_date(*args)

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        k = env.dialect
        if not k.pg:  # SQLite: the same Python code, as a registered function (shallow SQL)
            v = sa.func.cairn_make_date(*(a.value for a in args), type_=DATE_T)
            return Compiled(sa.type_coerce(v, DATE_T), sa.case((v.is_(None), code("#NUM!"))))
        y = k.trunc_int(args[0].value, -(10**6), 10**6)
        m = k.trunc_int(args[1].value, -(10**7), 10**7)
        d = k.trunc_int(args[2].value, -(10**8), 10**8)
        total = y * 12 + m - 1
        ok = sa.and_(total >= MIN_MONTH, total <= MAX_MONTH)
        safe = sa.case((ok, total), else_=None)
        first = k.make_date(safe // 12, safe % 12 + 1)
        out = sql_date_plus(first, sa.cast(d - 1, FLOAT), env)
        value = sa.case((ok, out.value), else_=None)
        error = sa.case((sa.not_(ok), code("#NUM!")), else_=out.error)
        return Compiled(sa.type_coerce(value, DATE_T), error)


class Part(DateFunction):
    params = ("datetime?",)
    returns = NUMBER
    part: ClassVar[str] = "year"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        v = args[0]
        return None if v is None else float(getattr(v, self.part))

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return Compiled(sa.cast(env.dialect.part(self.part, args[0].value), FLOAT))


class Year(Part):
    """The year of a date."""

    key = "YEAR"
    zh = "年"
    params = ("date?",)
    signature = "YEAR(date)"
    example = "YEAR({signed_on})"


class Month(Part):
    """The month of a date (1 to 12)."""

    key = "MONTH"
    zh = "月"
    params = ("date?",)
    part = "month"
    signature = "MONTH(date)"
    example = "MONTH({signed_on})"


class Day(Part):
    """The day of the month of a date (1 to 31)."""

    key = "DAY"
    zh = "日"
    params = ("date?",)
    part = "day"
    signature = "DAY(date)"
    example = "DAY({signed_on})"


class Hour(Part):
    """The hour of a date and time (0 to 23)."""

    key = "HOUR"
    zh = "小时"
    part = "hour"
    signature = "HOUR(datetime)"
    example = "HOUR({created_at})"


class Minute(Part):
    """The minute of a date and time (0 to 59)."""

    key = "MINUTE"
    zh = "分钟"
    part = "minute"
    signature = "MINUTE(datetime)"
    example = "MINUTE({created_at})"


class Second(Part):
    """The second of a date and time (0 to 59)."""

    key = "SECOND"
    zh = "秒"
    part = "second"
    signature = "SECOND(datetime)"
    example = "SECOND({created_at})"


class Weekday(DateFunction):
    """The day of the week of a date as a number (type 1: Sunday is 1)."""

    key = "WEEKDAY"
    zh = "星期"
    params = ("date?", "number")
    min_args = 1
    returns = NUMBER
    signature = "WEEKDAY(date, [type])  — type 1: Sunday=1…Saturday=7, 2: Monday=1…Sunday=7, 3: Monday=0…Sunday=6"
    example = "WEEKDAY(DATE(2024, 1, 1), 2)"
    example_result = "1"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        kind = rt.clamp_int(args[1], 0, 4) if len(args) > 1 else 1
        if kind not in (1, 2, 3):
            return rt.NUM
        if args[0] is None:
            return None
        dow = args[0].isoweekday() % 7  # Sunday 0
        return float({1: dow + 1, 2: (dow + 6) % 7 + 1, 3: (dow + 6) % 7}[kind])

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        k = env.dialect
        kind = k.trunc_int(args[1].value, 0, 4) if len(args) > 1 else sa.literal(1)
        dow = k.part("dow", args[0].value)
        value = sa.case(
            (kind == 1, dow + 1), (kind == 2, (dow + 6) % 7 + 1), (kind == 3, (dow + 6) % 7)
        )
        return Compiled(sa.cast(value, FLOAT), when(kind.not_in([1, 2, 3]), "#NUM!"))


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


# -- working days --------------------------------------------------------------------------
def _in_calendar(env: Environment, *days: date) -> bool:
    cal = env.calendar
    return cal is not None and all(cal.first <= d <= cal.last for d in days)


def _sql_calendar(env: SqlEnvironment) -> tuple[Any, Any, Any] | None:
    cal, table = env.env.calendar, env.calendar_table
    if cal is None or table is None:
        return None
    k = env.dialect
    return table, k.lit(cal.first, DATE_T), k.lit(cal.last, DATE_T)


def _seq(table: Any, d: Any) -> Any:
    return sa.select(table.c.seq).where(table.c.day == d).correlate_except(table).scalar_subquery()


def _workday(table: Any, d: Any, env: SqlEnvironment) -> Any:
    flag = (
        sa.select(table.c.is_workday)
        .where(table.c.day == d)
        .correlate_except(table)
        .scalar_subquery()
    )
    return sa.case((flag, 1), else_=0)


class Workdays(DateFunction):
    """The working days from start to end, both counted (the working calendar's holidays and
    weekends left out)."""

    key = "WORKDAYS"
    zh = "工作日天数"
    params = ("date?", "date?")
    returns = NUMBER
    signature = "WORKDAYS(start, end)"
    example = "WORKDAYS(DATE(2026, 9, 28), DATE(2026, 10, 9))"
    example_result = "5"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        s, e = args
        if s is None or e is None:
            return None
        if not _in_calendar(env, s, e):
            return rt.NUM
        cal = env.calendar
        assert cal is not None
        if s <= e:
            return float(cal.seq(e) - cal.seq(s) + int(cal.is_workday(s)))
        return -float(cal.seq(s) - cal.seq(e) + int(cal.is_workday(e)))

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        s, e = args[0].value, args[1].value
        got = _sql_calendar(env)
        if got is None:
            return Compiled(env.dialect.null(FLOAT), code("#NUM!"))
        table, lo, hi = got
        inside = sa.and_(s >= lo, s <= hi, e >= lo, e <= hi)
        forward = _seq(table, e) - _seq(table, s) + _workday(table, s, env)
        backward = 0 - (_seq(table, s) - _seq(table, e) + _workday(table, e, env))
        value = sa.case(
            (sa.or_(s.is_(None), e.is_(None)), None),
            (sa.not_(inside), None),
            (s <= e, forward),
            else_=backward,
        )
        error = sa.case((sa.or_(s.is_(None), e.is_(None)), None), (sa.not_(inside), code("#NUM!")))
        return Compiled(sa.cast(value, FLOAT), error)


class Workday(DateFunction):
    """The date a number of working days after (or before) a date, on the working calendar."""

    key = "WORKDAY"
    zh = "工作日"
    params = ("date?", "number")
    returns = DATE
    signature = "WORKDAY(start, days)"
    example = "WORKDAY(DATE(2026, 9, 30), 1)"
    example_result = "2026-10-08"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        s = args[0]
        if s is None:
            return None
        n = rt.clamp_int(args[1], -(10**6), 10**6)
        if not _in_calendar(env, s):
            return rt.NUM
        if n == 0:
            return s
        cal = env.calendar
        assert cal is not None
        c = cal.seq(s)
        target = c + n if n > 0 else c - int(cal.is_workday(s)) + n + 1
        found = cal.by_seq(target)
        return rt.NUM if found is None else found

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        k = env.dialect
        s = args[0].value
        got = _sql_calendar(env)
        if got is None:
            return Compiled(k.null(DATE_T), code("#NUM!"))
        table, lo, hi = got
        n = k.trunc_int(args[1].value, -(10**6), 10**6)
        inside = sa.and_(s >= lo, s <= hi)
        c = _seq(table, s)
        target = sa.case((n > 0, c + n), else_=c - _workday(table, s, env) + n + 1)
        found = (
            sa.select(sa.func.min(table.c.day))
            .where(table.c.seq == target, table.c.is_workday)
            .correlate_except(table)
            .scalar_subquery()
        )
        found = sa.type_coerce(found, DATE_T)
        value = sa.case((s.is_(None), None), (sa.not_(inside), None), (n == 0, s), else_=found)
        error = sa.case(
            (s.is_(None), None),
            (sa.not_(inside), code("#NUM!")),
            (n == 0, None),
            (found.is_(None), code("#NUM!")),
        )
        return Compiled(sa.type_coerce(value, DATE_T), error)


FUNCTIONS = (
    Today,
    Now,
    MakeDate,
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    Weekday,
    DateAdd,
    DateDif,
    Days,
    Workdays,
    Workday,
)
