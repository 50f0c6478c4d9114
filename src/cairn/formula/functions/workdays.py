"""Working days: WORKDAYS, WORKDAY.

They use the mainland China working calendar (statutory holidays and make-up working days):
#NUM! outside its years. A blank date gives a blank result.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from cairn.formula import runtime as rt
from cairn.formula.env import Environment, SqlEnvironment
from cairn.formula.functions.dates import DateFunction
from cairn.formula.sqlkit import DATE_T, FLOAT, Compiled, code
from cairn.formula.types import DATE, NUMBER, Type


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
    Workdays,
    Workday,
)
