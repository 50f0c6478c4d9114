"""Relative date operators: today, yesterday, last_n_days, next_n_days, this_week, this_month,
this_year, in the configured time zone against the injected clock."""

from __future__ import annotations

import sqlalchemy as sa

from cairn.query.operators.base import OpContext, Operator
from cairn.query.relative_dates import relative_range, utc_bounds


class RelativeDate(Operator):
    shape = "none"

    def compile(self, column, value, ctx: OpContext):  # type: ignore[no-untyped-def]
        start, end = relative_range(self.key, ctx.clock, ctx.timezone, value)
        if ctx.value_type == "datetime":
            lo, hi = utc_bounds(start, end, ctx.timezone)
            return sa.and_(column >= lo, column < hi)
        return sa.and_(column >= start, column < end)


class Today(RelativeDate):
    key = "today"


class Yesterday(RelativeDate):
    key = "yesterday"


class LastNDays(RelativeDate):
    """The n days ending today (today included)."""

    key = "last_n_days"
    shape = "days"


class NextNDays(RelativeDate):
    """The n days starting today (today included)."""

    key = "next_n_days"
    shape = "days"


class ThisWeek(RelativeDate):
    """Monday to Sunday (ISO 8601) of the current week."""

    key = "this_week"


class ThisMonth(RelativeDate):
    key = "this_month"


class ThisYear(RelativeDate):
    key = "this_year"


OPERATORS = (Today, Yesterday, LastNDays, NextNDays, ThisWeek, ThisMonth, ThisYear)
