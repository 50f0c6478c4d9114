"""Reporting periods: explicit local dates (both ends included) or a preset against the clock,
and the period before (the previous calendar months for whole months, else as many days)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic import Field as PField

from cairn.core import Clock
from cairn.query import relative_range

Preset = Literal["today", "yesterday", "this_week", "this_month", "this_year", "last_n_days"]


class PeriodSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: date | None = None
    end: date | None = None
    preset: Preset | None = None
    days: int | None = PField(default=None, ge=1, le=3660)

    @model_validator(mode="after")
    def _shape(self) -> PeriodSpec:
        if self.preset is None and (self.start is None or self.end is None):
            raise ValueError("give start and end, or a preset")
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError("the period ends before it starts")
        return self


def resolve_period(p: PeriodSpec, clock: Clock, tz: ZoneInfo) -> tuple[date, date]:
    """``[start, end)`` local dates."""
    if p.preset is not None:
        return relative_range(p.preset, clock, tz, p.days)
    assert p.start is not None and p.end is not None
    return p.start, p.end + timedelta(days=1)


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period just before ``[start, end)``: whole calendar months step back by months."""
    if start.day == 1 and end.day == 1:
        months = (end.year - start.year) * 12 + end.month - start.month
        index = start.year * 12 + start.month - 1 - months
        return date(index // 12, index % 12 + 1, 1), start
    return start - (end - start), start


def period_filter(field: str, start: date, end: date) -> dict[str, object]:
    """A filter tree for ``start <= field < end`` (local days, for date and datetime fields)."""
    return {
        "and": [
            {"field": field, "op": "gte", "value": start.isoformat()},
            {"field": field, "op": "lt", "value": end.isoformat()},
        ]
    }
