"""Dates: TODAY, NOW, DATE, YEAR, MONTH, DAY, HOUR, MINUTE, SECOND, WEEKDAY (moving and
between dates: ``date_math``; working days: ``workdays``).

Dates run from 0001-01-01 to 9999-12-31; a result outside is #NUM!. A blank date gives a blank
result. TODAY() and NOW() are the installation's local date and time (from the injected clock).
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

import sqlalchemy as sa

from cairn.core.clock import note_clock_read
from cairn.formula import runtime as rt
from cairn.formula.env import Environment, SqlEnvironment
from cairn.formula.functions.base import Function
from cairn.formula.functions.time_shift import MAX_MONTH, MIN_MONTH, py_date_plus, sql_date_plus
from cairn.formula.sqlkit import DATE_T, DATETIME_T, FLOAT, Compiled, code, when
from cairn.formula.types import DATE, DATETIME, NUMBER, Type


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


def py_make_date(y: float, m: float, d: float) -> Any:
    yi = rt.clamp_int(y, -(10**6), 10**6)
    mi = rt.clamp_int(m, -(10**7), 10**7)
    di = rt.clamp_int(d, -(10**8), 10**8)
    total = yi * 12 + mi - 1
    if not MIN_MONTH <= total <= MAX_MONTH:
        return rt.NUM
    year, m0 = divmod(total, 12)
    return py_date_plus(date(year, m0 + 1, 1), di - 1)


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
)
