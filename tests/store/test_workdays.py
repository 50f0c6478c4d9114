"""The working calendar's days table: filled once, rewritten from the admin's entries."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from cairn.store import create_engine, migrate, system, workdays

DAYS = system.calendar_days


@pytest.fixture
def engine(db_url: str):
    e = create_engine(db_url)
    migrate(e)
    yield e
    e.dispose()


def _day(conn: sa.Connection, d: date) -> tuple[bool, int]:
    row = conn.execute(sa.select(DAYS.c.is_workday, DAYS.c.seq).where(DAYS.c.day == d)).one()
    return bool(row.is_workday), row.seq


def test_prepare_fills_the_days_once_and_they_match_the_calendar(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        assert not workdays.filled(conn)
    workdays.prepare(engine)
    workdays.prepare(engine)  # a second start changes nothing
    with engine.connect() as conn:
        cal = workdays.calendar(conn)
        n = conn.execute(sa.select(sa.func.count()).select_from(DAYS)).scalar_one()
        assert n == (cal.last - cal.first).days + 1
        assert _day(conn, date(2026, 10, 1)) == (False, cal.seq(date(2026, 10, 1)))  # 国庆
        assert _day(conn, date(2026, 10, 10))[0] is True  # the make-up Saturday
    with engine.begin() as conn:
        assert workdays.ensure(conn) is False


def test_an_override_rewrites_the_days_after_it(engine: sa.Engine) -> None:
    workdays.prepare(engine)
    with engine.connect() as conn:
        before = _day(conn, date(2026, 10, 12))
    with engine.begin() as conn:
        conn.execute(
            system.calendar_overrides.insert().values(
                day=date(2026, 10, 9),
                is_workday=False,
                name="公司假",
                updated_at=datetime(2026, 1, 1),
            )
        )
        workdays.sync(conn)
    with engine.connect() as conn:
        assert _day(conn, date(2026, 10, 9))[0] is False
        # Every later day counts one working day fewer.
        assert _day(conn, date(2026, 10, 12)) == (True, before[1] - 1)
        assert workdays.calendar(conn).is_workday(date(2026, 10, 9)) is False
