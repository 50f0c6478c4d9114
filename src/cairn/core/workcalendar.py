"""The mainland-China working calendar shared by formulas (WORKDAY, WORKDAYS), process
deadlines and SLAs.

A day is a working day when an admin override says so (a holiday, or a make-up working day,
调休), otherwise when the ``holidays`` package lists it as a make-up working day, otherwise
when it is a weekday that is not a statutory holiday. Overrides take precedence and extend
years the package does not know the make-up days of (it has rules, not announcements, for
future years).

The calendar covers ``first``..``last`` (whole years); ``seq(day)`` counts working days from
``first`` through ``day``, which turns "the 5th working day after" into one lookup both in
Python and in the ``calendar_days`` table the store materialises from ``rows()``.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

DEFAULT_FIRST_YEAR = 2000
DEFAULT_LAST_YEAR = 2050


@lru_cache(maxsize=4)
def statutory(first_year: int, last_year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(statutory holidays, make-up working days) for the years, from ``holidays``."""
    # deferred: holidays costs ~40 ms at start-up and is read once per range of years
    import holidays

    cn = holidays.China(years=range(first_year, last_year + 1))
    workdays = frozenset(d for d in cn.weekend_workdays if first_year <= d.year <= last_year)
    return frozenset(cn.keys()), workdays


@dataclass(frozen=True)
class CalendarDay:
    day: date
    is_workday: bool
    seq: int


class WorkCalendar:
    def __init__(
        self,
        first_year: int = DEFAULT_FIRST_YEAR,
        last_year: int = DEFAULT_LAST_YEAR,
        overrides: Mapping[date, bool] | None = None,
    ) -> None:
        self.first = date(first_year, 1, 1)
        self.last = date(last_year, 12, 31)
        self.overrides = dict(overrides or {})
        self._holidays, self._makeup = statutory(first_year, last_year)
        flags: list[bool] = []
        seqs: list[int] = []
        workday_ordinals: list[int] = []
        count = 0
        d = self.first
        while d <= self.last:
            w = self._decide(d)
            flags.append(w)
            if w:
                count += 1
                workday_ordinals.append(d.toordinal())
            seqs.append(count)
            d += timedelta(days=1)
        self._flags = flags
        self._seqs = seqs
        self._workdays = workday_ordinals

    def _decide(self, d: date) -> bool:
        if d in self.overrides:
            return self.overrides[d]
        if d in self._makeup:
            return True
        if d in self._holidays:
            return False
        return d.weekday() < 5

    def _index(self, d: date) -> int:
        if not self.first <= d <= self.last:
            raise ValueError(f"{d} is outside the working calendar {self.first}..{self.last}")
        return d.toordinal() - self.first.toordinal()

    def is_workday(self, day: date) -> bool:
        return self._flags[self._index(day)]

    def seq(self, day: date) -> int:
        return self._seqs[self._index(day)]

    def by_seq(self, seq: int) -> date | None:
        if not 1 <= seq <= len(self._workdays):
            return None
        return date.fromordinal(self._workdays[seq - 1])

    def next_workday(self, day: date) -> date | None:
        """The first working day after ``day`` (None past the end)."""
        i = bisect.bisect_right(self._workdays, day.toordinal())
        return date.fromordinal(self._workdays[i]) if i < len(self._workdays) else None

    def rows(self) -> Iterator[CalendarDay]:
        """Every day of the range, for the ``calendar_days`` table."""
        for i, (w, s) in enumerate(zip(self._flags, self._seqs, strict=True)):
            yield CalendarDay(self.first + timedelta(days=i), w, s)

    def year_has_makeup_days(self, year: int) -> bool:
        """Whether make-up working days are known for ``year`` (else admins should add them)."""
        return any(d.year == year for d in self._makeup) or any(
            d.year == year and w and d.weekday() >= 5 for d, w in self.overrides.items()
        )
