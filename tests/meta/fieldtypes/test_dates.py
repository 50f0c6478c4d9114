"""date and datetime: ISO input, the installation's time zone, naive UTC storage."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairn.meta import FieldContext

from ..helpers import SHANGHAI, cell

# -- date ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2024-01-15",
        " 2024-01-15 ",
        "20240115",
        "2024-01-15T10:30:00",
        "2024-01-15 23:59:59+08:00",
        date(2024, 1, 15),
        datetime(2024, 1, 15, 8, 0),
    ],
)
def test_date_takes_iso_dates(value: Any) -> None:
    c = cell("date")
    assert c.coerce(value) == date(2024, 1, 15)
    assert c.read(value) == "2024-01-15"


@pytest.mark.parametrize(
    "value", ["2024-02-30", "2024-13-01", "15/01/2024", "2024/01/15", "yesterday", 20240115, [], {}]
)
def test_bad_dates_are_rejected(value: Any) -> None:
    assert cell("date").error_key(value) == "value.date"


@pytest.mark.parametrize("blank", [None, ""])
def test_blank_date_is_no_value(blank: str | None) -> None:
    assert cell("date").coerce(blank) is None
    assert cell("datetime").coerce(blank) is None


def test_leap_day() -> None:
    assert cell("date").coerce("2024-02-29") == date(2024, 2, 29)
    assert cell("date").error_key("2023-02-29") == "value.date"


def test_date_read_from_a_text_column_shows_the_day() -> None:
    assert cell("date").dump("2024-01-15 00:00:00") == "2024-01-15"


# -- datetime ------------------------------------------------------------------------------


def test_naive_datetime_is_read_in_shanghai_and_stored_as_naive_utc() -> None:
    c = cell("datetime")
    stored = c.coerce("2024-01-15 10:00")
    assert stored == datetime(2024, 1, 15, 2, 0)
    assert stored.tzinfo is None
    assert c.dump(stored) == "2024-01-15T10:00:00+08:00"


@pytest.mark.parametrize(
    ("value", "utc"),
    [
        ("2024-01-15T10:00:00Z", datetime(2024, 1, 15, 10, 0)),
        ("2024-01-15T10:00:00+09:00", datetime(2024, 1, 15, 1, 0)),
        ("2024-01-15T00:30:00+08:00", datetime(2024, 1, 14, 16, 30)),
        ("2024-01-15", datetime(2024, 1, 14, 16, 0)),
        (date(2024, 1, 15), datetime(2024, 1, 14, 16, 0)),
        (datetime(2024, 1, 15, 10, 0, tzinfo=UTC), datetime(2024, 1, 15, 10, 0)),
        (datetime(2024, 1, 15, 10, 0), datetime(2024, 1, 15, 2, 0)),
    ],
)
def test_datetimes_with_an_offset_keep_their_instant(value: Any, utc: datetime) -> None:
    assert cell("datetime").coerce(value) == utc


def test_datetime_is_shown_in_the_installation_time_zone() -> None:
    stored = datetime(2024, 1, 15, 2, 0)
    assert cell("datetime").dump(stored) == "2024-01-15T10:00:00+08:00"
    utc = FieldContext(timezone=ZoneInfo("UTC"))
    assert cell("datetime", ctx=utc).dump(stored) == "2024-01-15T02:00:00+00:00"


def test_shanghai_summer_time_of_1986_to_1991_is_shown() -> None:
    assert cell("datetime").dump(datetime(1991, 4, 30, 15, 0)) == "1991-05-01T00:00:00+09:00"


def test_datetime_read_from_a_text_column() -> None:
    assert cell("datetime").dump("2024-01-15 02:00:00") == "2024-01-15T10:00:00+08:00"


def test_fractions_of_a_second_are_not_kept() -> None:
    # The API shows whole seconds; a stored 10:00:00.75 would not equal what a reader sees.
    c = cell("datetime")
    assert c.coerce("2024-01-15T10:00:00.75") == datetime(2024, 1, 15, 2, 0, 0)
    assert c.coerce(c.read("2024-01-15T10:00:00.75")) == c.coerce("2024-01-15T10:00:00")


@pytest.mark.parametrize(
    "value", ["2024-01-15 25:00", "not a date", "2024-01-15T10:00+25:00", 1705284000, 1.5, []]
)
def test_bad_datetimes_are_rejected(value: Any) -> None:
    assert cell("datetime").error_key(value) == "value.datetime"


@pytest.mark.parametrize(
    "value", ["0001-01-01T00:00", "9999-12-31T23:00-05:00", "9999-12-31T20:00Z"]
)
def test_datetimes_that_cannot_be_stored_or_shown_are_rejected(value: str) -> None:
    assert cell("datetime").error_key(value) == "value.datetime"


# -- properties ----------------------------------------------------------------------------

offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda m: timezone(timedelta(minutes=m))
)


@given(st.dates())
def test_date_read_back_and_written_again_changes_nothing(day: date) -> None:
    c = cell("date")
    stored = c.coerce(day.isoformat())
    assert stored == day
    assert c.coerce(c.dump(stored)) == stored


@given(
    st.datetimes(
        min_value=datetime(1900, 1, 1),
        max_value=datetime(2200, 1, 1),
        timezones=st.one_of(st.none(), offsets, st.just(SHANGHAI)),
    ),
    st.booleans(),
)
def test_datetime_read_back_and_written_again_changes_nothing(
    when: datetime, as_text: bool
) -> None:
    c = cell("datetime")
    stored = c.coerce(when.isoformat() if as_text else when)
    assert stored.tzinfo is None
    assert c.coerce(c.dump(stored)) == stored


ZONES = [ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York"), ZoneInfo("Europe/London"), UTC]


@given(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31)),
    st.sampled_from(ZONES),
    st.one_of(st.none(), st.integers(-14 * 60, 14 * 60)),
    st.sampled_from(["T", " "]),
)
def test_datetime_text_is_stored_as_utc_like_astimezone_would(
    local: datetime, zone: Any, offset_minutes: int | None, sep: str
) -> None:
    """The coercer's shortcut gives what ``astimezone(UTC)`` gives, to the second, for text
    with an offset, with Z, and without one (read in the configured zone, DST gaps too)."""
    from cairn.meta.fieldtypes.dates import parse_datetime

    if offset_minutes is None:
        text = local.isoformat(sep)
        aware = local.replace(tzinfo=zone)
    else:
        tz = timezone(timedelta(minutes=offset_minutes))
        text = local.replace(tzinfo=tz).isoformat(sep)
        aware = local.replace(tzinfo=tz)
    expected = aware.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    assert parse_datetime(text, zone) == expected
    if offset_minutes == 0:
        assert parse_datetime(text.replace("+00:00", "Z"), zone) == expected


_naive = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1))
#: UTC hours of days on which New York and Berlin change their clocks (spring and autumn).
_switch_days = st.builds(
    lambda day, hour: datetime.fromisoformat(day) + timedelta(hours=hour),
    st.sampled_from(["2026-03-08", "2026-11-01", "2026-03-29", "2026-10-25"]),
    st.integers(0, 23),
)
_column = st.lists(
    st.one_of(
        st.none(),
        _switch_days,
        _naive.map(lambda d: d.replace(microsecond=0)),  # as stored: whole seconds
        _naive,
        _naive.map(lambda d: d.replace(tzinfo=UTC)),
    ),
    max_size=30,
).flatmap(lambda xs: st.permutations(xs + xs[: len(xs) // 2]))  # runs of equal values


@given(
    values=_column,
    zone=st.sampled_from(["Asia/Shanghai", "America/New_York", "Europe/Berlin", "UTC"]),
)
def test_a_column_of_datetimes_reads_as_each_value_would(values: list[Any], zone: str) -> None:
    """A page's column is formatted at once; each value comes out as it would alone,
    across daylight-saving changes and with repeated values."""
    from cairn.meta.fieldtypes.dates import dump_datetime, dump_datetimes

    tz = ZoneInfo(zone)
    expected = [None if v is None else dump_datetime(v, tz) for v in values]
    assert dump_datetimes(values, tz) == expected
