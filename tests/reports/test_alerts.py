"""The alert threshold and crossing logic, and schedules (the checks and actions are tested
through the API in tests/api/test_alerts_api.py)."""

from __future__ import annotations

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from cairn.reports.alerts import AlertSchedule, AlertSpec, evaluate, next_check

COMPLAINTS = AlertSpec(
    kpi={"key": "complaint_rate", "params": {"table": "tickets"}},
    op=">",
    threshold=5,
)


def test_acts_once_per_crossing_and_again_after_recovery() -> None:
    state = "ok"
    acted = []
    for value in (3, 6, 7, 8, 4, None, 5, 9, 9):
        e = evaluate(COMPLAINTS, value, state)
        acted.append(e.crossed)
        state = e.state
    # 6 crosses; 7, 8 stay over; 4 recovers; no data and exactly 5 are not over; 9 crosses again.
    assert acted == [False, True, False, False, False, False, False, True, False]


def test_below_threshold_alerts() -> None:
    csat = COMPLAINTS.model_copy(update={"op": "<", "threshold": 80})
    assert evaluate(csat, 79.9).crossed
    assert not evaluate(csat, 80).crossed
    assert evaluate(csat, 85, "firing").recovered


def test_an_alert_watches_one_source() -> None:
    with pytest.raises(ValidationError):
        AlertSpec(op=">", threshold=1)


@given(st.lists(st.one_of(st.none(), st.floats(-100, 100)), max_size=30))
def test_crossings_and_recoveries_alternate(values: list[float | None]) -> None:
    state = "ok"
    events = []
    for v in values:
        e = evaluate(COMPLAINTS, v, state)
        assert not (e.crossed and e.recovered)
        if e.crossed or e.recovered:
            events.append("c" if e.crossed else "r")
        state = e.state
    assert all(a != b for a, b in itertools.pairwise(events))
    assert not events or events[0] == "c"


def test_schedules_cron_in_the_local_zone_or_an_interval() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    now = datetime(2026, 1, 5, 9, 30)  # UTC: 17:30 in Shanghai
    daily = AlertSchedule(cron="0 8 * * *")  # 08:00 Shanghai = 00:00 UTC
    assert next_check(daily, now, shanghai) == datetime(2026, 1, 6, 0, 0)
    every = AlertSchedule(every=2, unit="hours")
    assert next_check(every, now, shanghai) == datetime(2026, 1, 5, 11, 30)


@pytest.mark.parametrize(
    "schedule", [{}, {"cron": "0 * * * *", "every": 5}, {"cron": "61 * * * *"}, {"every": 0}]
)
def test_bad_schedules_are_refused(schedule: dict) -> None:
    with pytest.raises(ValidationError):
        AlertSchedule.model_validate(schedule)
