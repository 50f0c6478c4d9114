"""The injectable clock: every deadline, SLA and relative date reads time from here."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock for tests: it stands still until moved."""

    def __init__(self, at: datetime | None = None) -> None:
        self._at = (at or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)).astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._at += delta


class OffsetClock:
    """A test clock: ``base`` moved forward by an offset that ``offset()`` reads (the services
    read it from the database, cached briefly, so every process of an instance agrees)."""

    def __init__(self, base: Clock, offset: Callable[[], timedelta]) -> None:
        self.base = base
        self._offset = offset

    def now(self) -> datetime:
        return self.base.now() + self._offset()


#: How often this context put the clock into what it computes: (the local date, the time of
#: day). A report result kept for later (``cairn.reports.cache``) is good for the day in the
#: first case and not at all in the second.
_clock_reads: ContextVar[tuple[int, int]] = ContextVar("clock_reads", default=(0, 0))


def note_clock_read(time_of_day: bool = False) -> None:
    """Say that what is being computed depends on today's date (relative dates, TODAY()), or
    with ``time_of_day`` on the time too (NOW())."""
    dates, times = _clock_reads.get()
    _clock_reads.set((dates + 1, times + time_of_day))


def clock_reads() -> tuple[int, int]:
    """How many times this context said so: (date, time of day); compare before and after."""
    return _clock_reads.get()


# -- durations: "3d", "2h30m", "1w2d", "90s" ----------------------------------------------------

#: The units a duration is written in, largest first, each at most once and in this order.
DURATION_UNITS: tuple[tuple[str, timedelta], ...] = (
    ("w", timedelta(weeks=1)),
    ("d", timedelta(days=1)),
    ("h", timedelta(hours=1)),
    ("m", timedelta(minutes=1)),
    ("s", timedelta(seconds=1)),
)
#: The longest duration a test clock moves in one step (ten years).
MAX_DURATION = timedelta(days=3650)
_DURATION = re.compile(
    r"^" + "".join(rf"(?:(?P<{u}>[0-9]{{1,7}}){u})?" for u, _ in DURATION_UNITS) + r"$"
)


def parse_duration(text: str) -> timedelta | None:
    """``3d``, ``2h30m``, ``1w``, ``45s``: whole numbers of weeks, days, hours, minutes and
    seconds, largest unit first, each unit at most once, no spaces. Positive and at most
    ``MAX_DURATION``; anything else is ``None``."""
    m = _DURATION.match(text.strip().lower()) if isinstance(text, str) else None
    if m is None:
        return None
    total = timedelta()
    for unit, size in DURATION_UNITS:
        if m.group(unit) is not None:
            total += size * int(m.group(unit))
    if total <= timedelta() or total > MAX_DURATION:
        return None
    return total


def format_duration(delta: timedelta) -> str:
    """The shortest text ``parse_duration`` reads back as ``delta`` (whole seconds, no weeks:
    ``31d``, ``2h30m``); ``0s`` for nothing. Fractions of a second are dropped."""
    seconds = int(delta.total_seconds())
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    parts = []
    for unit, size in DURATION_UNITS[1:]:
        n, seconds = divmod(seconds, int(size.total_seconds()))
        if n:
            parts.append(f"{n}{unit}")
    return sign + ("".join(parts) or "0s")
