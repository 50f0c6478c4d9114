"""Relative dates in Asia/Shanghai against a frozen clock, near midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from cairn.query import day_range, relative_range

from .conftest import TZ
from .helpers import where


def test_ranges():
    d = date(2026, 1, 7)  # a Wednesday
    assert day_range("today", d) == (d, date(2026, 1, 8))
    assert day_range("yesterday", d) == (date(2026, 1, 6), d)
    assert day_range("last_n_days", d, 3) == (date(2026, 1, 5), date(2026, 1, 8))
    assert day_range("next_n_days", d, 3) == (d, date(2026, 1, 10))
    assert day_range("this_week", d) == (date(2026, 1, 5), date(2026, 1, 12))
    assert day_range("this_week", date(2026, 1, 11)) == (date(2026, 1, 5), date(2026, 1, 12))
    assert day_range("this_month", date(2025, 12, 31)) == (date(2025, 12, 1), date(2026, 1, 1))
    assert day_range("this_year", d) == (date(2026, 1, 1), date(2027, 1, 1))


def test_today_is_the_local_calendar_day():
    from cairn.core import FrozenClock

    # 2026-01-05 16:30 UTC is 2026-01-06 00:30 in Shanghai.
    clock = FrozenClock(datetime(2026, 1, 5, 16, 30, tzinfo=UTC))
    assert relative_range("today", clock, TZ) == (date(2026, 1, 6), date(2026, 1, 7))


@pytest.fixture
def dated(crm_world):
    w = crm_world
    # Shanghai local midnight 2026-01-06 00:00 = 2026-01-05 16:00 UTC.
    w.clock.set(datetime(2026, 1, 5, 16, 30, tzinfo=UTC))  # 00:30 on Jan 6 in Shanghai
    w.r = {
        "just_before": w.insert(
            "customers", last_seen="2026-01-05T23:59:59+08:00", joined="2026-01-05"
        ),
        "just_after": w.insert(
            "customers", last_seen="2026-01-06T00:00:00+08:00", joined="2026-01-06"
        ),
        "tomorrow": w.insert(
            "customers", last_seen="2026-01-07T12:00:00+08:00", joined="2026-01-07"
        ),
        "last_month": w.insert(
            "customers", last_seen="2025-12-31T23:00:00+08:00", joined="2025-12-31"
        ),
        "blank": w.insert("customers"),
    }
    return w


@pytest.mark.parametrize("field", ["last_seen", "joined"])
def test_relative_ops_on_date_and_datetime(dated, field):
    r = dated.r
    w = dated
    assert where(w, "customers", field, "today") == {r["just_after"]}
    assert where(w, "customers", field, "yesterday") == {r["just_before"]}
    assert where(w, "customers", field, "last_n_days", 2) == {r["just_before"], r["just_after"]}
    assert where(w, "customers", field, "next_n_days", 2) == {r["just_after"], r["tomorrow"]}
    # Tue 2026-01-06: the week is Mon 5th .. Sun 11th.
    assert where(w, "customers", field, "this_week") == {
        r["just_before"],
        r["just_after"],
        r["tomorrow"],
    }
    assert where(w, "customers", field, "this_month") == {
        r["just_before"],
        r["just_after"],
        r["tomorrow"],
    }
    assert where(w, "customers", field, "this_year") == where(w, "customers", field, "this_month")


def test_moving_the_clock_moves_today(dated):
    dated.clock.set(datetime(2026, 1, 5, 15, 59, tzinfo=UTC))  # 23:59 on Jan 5 in Shanghai
    assert where(dated, "customers", "last_seen", "today") == {dated.r["just_before"]}
    assert where(dated, "customers", "created_at", "yesterday") == set()
    assert where(dated, "customers", "created_at", "this_year") == set(dated.r.values())
    assert where(dated, "customers", "created_at", "last_n_days", 5) == set(dated.r.values())
