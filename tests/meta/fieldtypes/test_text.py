"""text and long_text: length limits, patterns, blanks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairn.core import Invalid
from cairn.meta import BadValue

from ..helpers import TYPES, cell


@pytest.mark.parametrize("type_key", ["text", "long_text"])
def test_text_is_kept_as_typed(type_key: str) -> None:
    assert cell(type_key).read("  客户 A  ") == "  客户 A  "


def test_numbers_are_accepted_as_their_text() -> None:
    c = cell("text")
    assert c.coerce(42) == "42"
    assert c.coerce(1.5) == "1.5"


@pytest.mark.parametrize("blank", [None, "", "   ", "\t\n"])
def test_blank_is_no_value(blank: str | None) -> None:
    assert cell("text").coerce(blank) is None


@pytest.mark.parametrize("value", [True, False, [], ["a"], {"a": 1}])
def test_non_text_is_rejected(value: object) -> None:
    assert cell("text").error_key(value) == "value.text"


def test_default_max_length_is_255_characters() -> None:
    c = cell("text")
    assert c.coerce("字" * 255) == "字" * 255
    err = c.error("字" * 256)
    assert err.message.key == "value.too_long"
    assert err.message.params == {"max": 255}


def test_long_text_takes_long_text() -> None:
    assert cell("long_text").coerce("x" * 50_000) == "x" * 50_000


def test_min_and_max_length() -> None:
    c = cell("text", min_length=2, max_length=4)
    assert c.coerce("ab") == "ab"
    assert c.coerce("abcd") == "abcd"
    assert c.error("a").message.params == {"min": 2}
    assert c.error_key("a") == "value.too_short"
    assert c.error_key("abcde") == "value.too_long"


def test_pattern_must_match_the_whole_text() -> None:
    c = cell("text", pattern=r"[A-Z]{2}\d{4}")
    assert c.coerce("AB1234") == "AB1234"
    for bad in ("ab1234", "AB12345", "xAB1234"):
        assert c.error_key(bad) == "value.pattern"


def test_default_options() -> None:
    assert TYPES.get("text").validate_options(None) == {
        "min_length": None,
        "max_length": 255,
        "pattern": None,
    }


def test_empty_pattern_means_no_pattern() -> None:
    assert TYPES.get("text").validate_options({"pattern": ""})["pattern"] is None


@pytest.mark.parametrize(
    ("options", "location"),
    [
        ({"pattern": "([a-z"}, "options.pattern"),
        ({"max_length": 0}, "options.max_length"),
        ({"max_length": 200_000}, "options.max_length"),
        ({"min_length": -1}, "options.min_length"),
        ({"min_length": 10, "max_length": 5}, "options"),
        ({"colour": "red"}, "options.colour"),
    ],
)
def test_bad_options_name_the_option(options: dict, location: str) -> None:
    with pytest.raises(Invalid) as caught:
        TYPES.get("text").validate_options(options)
    assert list(caught.value.field_errors) == [location]
    assert caught.value.field_errors[location][0].key == "field.option_invalid"


def test_long_text_allows_a_larger_max_length() -> None:
    assert TYPES.get("long_text").validate_options({"max_length": 500_000})["max_length"] == 500_000


@given(st.one_of(st.text(max_size=300), st.integers(), st.floats(allow_nan=False)))
def test_reading_back_and_writing_again_changes_nothing(value: object) -> None:
    c = cell("text", max_length=280)
    try:
        stored = c.coerce(value)
    except BadValue as e:
        assert e.message.key == "value.too_long"
        return
    assert c.coerce(c.dump(stored)) == stored
