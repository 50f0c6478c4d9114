"""The clock and the test clock's durations: ``3d``, ``2h30m``, ``1w`` read exactly, anything
else refused (never an exception), and what ``format_duration`` writes reads back the same."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cairn.core import FrozenClock, OffsetClock, format_duration, parse_duration
from cairn.core.clock import MAX_DURATION


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3d", timedelta(days=3)),
        ("2h30m", timedelta(hours=2, minutes=30)),
        ("1w", timedelta(weeks=1)),
        ("1w2d", timedelta(days=9)),
        ("45s", timedelta(seconds=45)),
        ("90m", timedelta(minutes=90)),
        ("31d", timedelta(days=31)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        (" 3D ", timedelta(days=3)),
        ("3650d", MAX_DURATION),
    ],
)
def test_durations_read(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0d",
        "0s",
        "3",
        "d",
        "3x",
        "30m2h",
        "3d3d",
        "-3d",
        "+3d",
        "1.5d",
        "3 d",
        "3d 2h",
        "3651d",
        "522w",
        "P3D",
        "9999999d",
        "３d",
    ],
)
def test_anything_else_is_refused(text: str) -> None:
    assert parse_duration(text) is None


def test_not_text_is_refused() -> None:
    assert parse_duration(3) is None  # type: ignore[arg-type]
    assert parse_duration(None) is None  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=int(MAX_DURATION.total_seconds())))
def test_what_format_writes_reads_back(seconds: int) -> None:
    delta = timedelta(seconds=seconds)
    assert parse_duration(format_duration(delta)) == delta


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789wdhms .-+xW", max_size=14))
def test_any_text_parses_to_a_bounded_positive_duration_or_nothing(text: str) -> None:
    got = parse_duration(text)
    assert got is None or timedelta() < got <= MAX_DURATION


def test_format_duration() -> None:
    assert format_duration(timedelta()) == "0s"
    assert format_duration(timedelta(days=31)) == "31d"
    assert format_duration(timedelta(hours=2, minutes=30, microseconds=5)) == "2h30m"
    assert format_duration(-timedelta(hours=1)) == "-1h"


def test_an_offset_clock_is_its_base_moved_by_the_offset() -> None:
    base = FrozenClock(datetime(2026, 1, 5, 9, tzinfo=UTC))
    offset = [timedelta()]
    clock = OffsetClock(base, lambda: offset[0])
    assert clock.now() == base.now()
    offset[0] = timedelta(days=31)
    assert clock.now() == datetime(2026, 2, 5, 9, tzinfo=UTC)
    base.advance(timedelta(minutes=1))  # real time goes on under it
    assert clock.now() == datetime(2026, 2, 5, 9, 1, tzinfo=UTC)
