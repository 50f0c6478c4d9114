"""auto_number: a prefix and a zero-padded sequence, assigned by the store."""

from __future__ import annotations

import pytest

from cairn.core import Invalid
from cairn.meta import format_number

from ..helpers import TYPES


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
