"""What the worker runs when the test clock jumps: every periodic job whose schedule falls in
the skipped span, once each (the nightly purge only when a 03:17 UTC went by); and Huey's
periodic schedule reads Cairn's clock when a test clock is on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cairn.core import Settings

EVERY_MINUTE = {
    "process_scan_every_minute",
    "rules_every_minute",
    "alerts_every_minute",
    "deliveries_every_minute",
}
#: Every five minutes: to-dos on WeCom / DingTalk no event announced; time-based segments.
OFTEN = EVERY_MINUTE | {"push_tasks_every_five_minutes", "segments_every_five_minutes"}
#: Once a night: the purge (03:17 UTC), the directory sync (19:23 UTC), the sweep of
#: unused automatic indexes (20:41 UTC) and the health scores (18:07 UTC).
NIGHTLY = {"nightly_purge", "directories_every_night", "indexes_every_night", "scores_every_night"}


@pytest.fixture
def queue(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CAIRN_DATA_DIR", str(tmp_path / "queue"))
    from cairn.worker import queue

    return queue


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso).replace(tzinfo=UTC)


def test_a_jump_runs_what_its_span_holds_once(queue) -> None:  # type: ignore[no-untyped-def]
    start = at("2026-01-05T09:00:30")
    names = [t.name for t in queue.due_periodic(start, start + timedelta(days=31))]
    assert set(names) == OFTEN | NIGHTLY and len(names) == 10
    assert {t.name for t in queue.due_periodic(start, start + timedelta(hours=2))} == OFTEN
    assert queue.due_periodic(start, start + timedelta(seconds=20)) == []  # within one minute
    night = at("2026-01-06T03:00:00")
    assert "nightly_purge" in [t.name for t in queue.due_periodic(night, at("2026-01-06T03:17:00"))]
    assert "nightly_purge" not in [
        t.name for t in queue.due_periodic(night, at("2026-01-06T03:16:59"))
    ]
    ten_years = queue.due_periodic(start, start + timedelta(days=3650))  # bounded search
    assert {t.name for t in ten_years} == OFTEN | NIGHTLY
    ran: list[str] = []
    assert queue.catch_up(start, start + timedelta(hours=1), run=lambda t: ran.append(t.name))
    assert set(ran) == OFTEN


def test_with_a_test_clock_huey_asks_cairns_clock_the_time(
    queue, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from cairn.core import FrozenClock

    class FakeServices:
        clock = FrozenClock(at("2031-07-01T03:17:00"))

    monkeypatch.setattr(queue, "services", lambda: FakeServices())
    on = queue.make_huey(Settings(data_dir=tmp_path / "q1", test_clock=True))
    assert on._get_timestamp() == datetime(2031, 7, 1, 3, 17)
    due = {
        t.name
        for t in queue.huey._registry.periodic_tasks
        if t.validate_datetime(on._get_timestamp())
    }
    assert "nightly_purge" in due
    off = queue.make_huey(Settings(data_dir=tmp_path / "q2"))
    assert abs(off._get_timestamp() - datetime.now(UTC).replace(tzinfo=None)) < timedelta(minutes=5)
