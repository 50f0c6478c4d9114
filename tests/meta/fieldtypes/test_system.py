"""auto_number: a prefix and a zero-padded sequence, or a pattern with date parts and a
counter restarting per period (the numbers themselves: ``tests/store/test_numbering.py``)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from cairn.core import Invalid
from cairn.core.i18n import CATALOGUE
from cairn.meta import format_number, local_day, numbering_period
from cairn.meta.numbering import period_key

from ..helpers import SHANGHAI, TYPES


def test_format_number_pads_the_sequence() -> None:
    assert format_number({"prefix": "TK-", "digits": 6}, 123) == "TK-000123"
    assert format_number({"prefix": "", "digits": 3}, 7) == "007"


def test_a_sequence_longer_than_its_digits_is_not_cut() -> None:
    assert format_number({"prefix": "TK-", "digits": 3}, 12345) == "TK-12345"


def test_auto_number_defaults() -> None:
    options = TYPES.get("auto_number").validate_options({})
    assert options == {"prefix": "", "digits": 6, "start": 1}
    assert format_number(options, 1) == "000001"


def test_auto_number_options_round_trip() -> None:
    options = TYPES.get("auto_number").validate_options(
        {"prefix": "合同-", "digits": 4, "start": 100}
    )
    assert format_number(options, options["start"]) == "合同-0100"


@pytest.mark.parametrize(
    "options",
    [
        {"prefix": "TK 1"},
        {"prefix": "X" * 21},
        {"digits": 0},
        {"digits": 13},
        {"start": -1},
        {"step": 2},
    ],
)
def test_bad_auto_number_options_are_invalid(options: dict) -> None:
    with pytest.raises(Invalid):
        TYPES.get("auto_number").validate_options(options)


def test_auto_number_is_assigned_not_written() -> None:
    assert not TYPES.get("auto_number").writable


# -- numbering patterns (流水号) -------------------------------------------------------------


def test_a_pattern_writes_date_parts_and_the_counter() -> None:
    options = TYPES.get("auto_number").validate_options(
        {"pattern": "BJ-{YYYY}{MM}-{####}", "reset": "month"}
    )
    assert options == {
        "prefix": "",
        "digits": 6,
        "start": 1,
        "pattern": "BJ-{YYYY}{MM}-{####}",
        "reset": "month",
    }
    assert format_number(options, 42, date(2027, 3, 9)) == "BJ-202703-0042"
    assert format_number({"pattern": "{YY}{MM}{DD}/{##}"}, 7, date(2027, 3, 9)) == "270309/07"
    assert format_number({"pattern": "Q{#}"}, 12345, date(2027, 3, 9)) == "Q12345"  # not cut


def test_a_pattern_needs_its_day() -> None:
    with pytest.raises(ValueError):
        format_number({"pattern": "BJ-{####}"}, 1)


def test_options_without_a_pattern_keep_their_old_shape() -> None:
    """Existing fields and app packages: no pattern or reset keys appear."""
    ft = TYPES.get("auto_number")
    assert ft.validate_options({"prefix": "C-", "digits": 5}) == {
        "prefix": "C-",
        "digits": 5,
        "start": 1,
    }
    assert "pattern" not in ft.validate_options({"pattern": "", "reset": "never"})
    assert "pattern" not in ft.validate_options({"pattern": None})


@pytest.mark.parametrize(
    ("options", "location", "key"),
    [
        ({"pattern": "BJ-{YYYY}"}, "options.pattern", "field.number_counter"),
        ({"pattern": "{#}-{##}"}, "options.pattern", "field.number_counter"),
        ({"pattern": "{#############}"}, "options.pattern", "field.number_counter"),
        ({"pattern": "BJ-{HH}{####}"}, "options.pattern", "field.number_token"),
        ({"pattern": "BJ-{yyyy}{####}"}, "options.pattern", "field.number_token"),
        ({"pattern": "BJ-{####"}, "options.pattern", "field.number_brace"),
        ({"pattern": "BJ}-{####}"}, "options.pattern", "field.number_brace"),
        ({"pattern": "BJ {####}"}, "options.pattern", "field.number_space"),
        ({"pattern": "X" * 30 + "{####}"}, "options.pattern", "field.number_too_long"),
        ({"pattern": "{YY}" * 20 + "{#}"}, "options.pattern", "field.number_pattern_long"),
        ({"reset": "month"}, "options.reset", "field.number_reset_pattern"),
        ({"pattern": "BJ-{####}", "reset": "year"}, "options.pattern", "field.number_reset_year"),
        (
            {"pattern": "{YYYY}-{####}", "reset": "month"},
            "options.pattern",
            "field.number_reset_month",
        ),
        (
            {"pattern": "{MM}{DD}-{####}", "reset": "day"},
            "options.pattern",
            "field.number_reset_day",
        ),
        (
            {"pattern": "{YYYY}{MM}-{####}", "reset": "day"},
            "options.pattern",
            "field.number_reset_day",
        ),
    ],
)
def test_bad_patterns_are_refused_naming_the_option(options: dict, location: str, key: str) -> None:
    with pytest.raises(Invalid) as e:
        TYPES.get("auto_number").validate_options(options)
    errors = e.value.field_errors
    assert list(errors) == [location]
    message = errors[location][0]
    assert message.key == key
    for lang in ("en", "zh-CN"):  # every message reads in both languages
        assert CATALOGUE[lang][key].format(**message.params)


def test_an_unknown_reset_is_refused() -> None:
    with pytest.raises(Invalid) as e:
        TYPES.get("auto_number").validate_options({"pattern": "{YYYY}{####}", "reset": "week"})
    assert list(e.value.field_errors) == ["options.reset"]


@pytest.mark.parametrize(
    ("pattern", "reset"),
    [
        ("BJ-{YYYY}{MM}-{####}", "month"),
        ("{YY}{MM}{DD}{###}", "day"),
        ("合同{YYYY}-{#####}", "year"),
        ("{YYYY}{MM}{DD}-{#}", "month"),  # more date parts than the reset needs
        ("X{YYYY}-{######}", "never"),
        ("{############}", "never"),
    ],
)
def test_good_patterns_are_kept(pattern: str, reset: str) -> None:
    options = TYPES.get("auto_number").validate_options({"pattern": pattern, "reset": reset})
    assert (options["pattern"], options["reset"]) == (pattern, reset)


def test_period_keys_and_local_days() -> None:
    day = date(2027, 3, 9)
    assert [period_key(r, day) for r in ("never", "year", "month", "day")] == [
        "",
        "2027",
        "2027-03",
        "2027-03-09",
    ]
    assert numbering_period({"prefix": "C-"}, day) == ""
    assert numbering_period({"pattern": "{YYYY}{#}", "reset": "year"}, day) == "2027"
    # 16:30 UTC on 31 March is already 1 April in Shanghai.
    assert local_day(datetime(2027, 3, 31, 16, 30), SHANGHAI) == date(2027, 4, 1)
    assert local_day(datetime(2027, 3, 31, 15, 59), SHANGHAI) == date(2027, 3, 31)
