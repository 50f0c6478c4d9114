"""Key field types (vin, id_number, credit_code) and the ``identity_key`` option."""

from __future__ import annotations

import pytest

from cairn.core import Invalid
from cairn.meta.fieldtypes.base import PLATFORM_OPTIONS

from ..helpers import CTX, TYPES, cell, make_field


@pytest.mark.parametrize(
    ("type_key", "typed", "stored"),
    [
        ("vin", " 1m8gdm9a-xkp042788 ", "1M8GDM9AXKP042788"),
        ("id_number", "11010519491231002x", "11010519491231002X"),
        ("id_number", "110105491231002", "11010519491231002X"),
        ("credit_code", "9111 0000 6000 3734 1l", "91110000600037341L"),
    ],
)
def test_a_key_is_stored_canonical(type_key: str, typed: str, stored: str) -> None:
    c = cell(type_key)
    assert c.read(typed) == stored
    assert c.read(None) is None
    assert c.read("  ") is None


@pytest.mark.parametrize(
    ("type_key", "value", "rule"),
    [
        ("vin", "1M8GDM9A1KP042788", "value.vin_check"),
        ("vin", "1M8GDM9AXKP0427O8", "value.vin_chars"),
        ("vin", "1M8GDM9AX", "value.vin_length"),
        ("id_number", "110105194912310021", "value.id_number_check"),
        ("id_number", "110105194902300021", "value.id_number_date"),
        ("credit_code", "91110000600037341M", "value.credit_code_check"),
        ("vin", True, "value.text"),
        ("vin", ["1M8GDM9AXKP042788"], "value.text"),
    ],
)
def test_a_bad_key_names_its_rule(type_key: str, value: object, rule: str) -> None:
    assert cell(type_key).error_key(value) == rule


def test_a_whole_key_in_a_filter_matches_canonically_a_fragment_stays() -> None:
    f = make_field("vin")
    operand = TYPES.get("vin").operand(f, CTX)
    assert operand(" 1m8gdm9axkp042788") == "1M8GDM9AXKP042788"
    assert operand("1m8g") == "1M8G"


@pytest.mark.parametrize(
    ("type_key", "kind"),
    [
        ("text", "passport"),
        ("text", "plate"),
        ("phone", "mobile"),
        ("email", "email"),
        ("vin", "vin"),
    ],
)
def test_identity_key_is_kept_in_the_options(type_key: str, kind: str) -> None:
    f = make_field(type_key, {"identity_key": kind})
    assert f.options["identity_key"] == kind
    assert TYPES.get(type_key).identity_key(f) == kind
    assert "identity_key" not in make_field(type_key).options


@pytest.mark.parametrize(
    ("type_key", "kind"),
    [
        ("phone", "email"),
        ("number", "mobile"),
        ("vin", "id_number"),
        ("text", "nonsense"),
        ("long_text", "plate"),
        ("text", ["plate"]),
    ],
)
def test_identity_key_of_another_kind_is_refused(type_key: str, kind: str) -> None:
    with pytest.raises(Invalid) as e:
        TYPES.get(type_key).validate_options({"identity_key": kind})
    assert "options.identity_key" in e.value.field_errors


def test_a_text_field_marked_as_a_key_normalises_and_refuses() -> None:
    passport = cell("text", identity_key="passport")
    assert passport.read("e1234 5678") == "E12345678"
    assert passport.error_key("E1") == "value.passport"
    plate = cell("text", identity_key="plate")
    assert plate.read("粤b·12345") == "粤B12345"
    mobile = cell("text", identity_key="mobile")
    assert mobile.read("138 0013 8000") == "+8613800138000"
    assert cell("text").read("e1234 5678") == "e1234 5678"  # unmarked: as typed


def test_identity_key_is_a_platform_option() -> None:
    assert "identity_key" in PLATFORM_OPTIONS
    f = make_field("phone", {"identity_key": "mobile", "region": "HK"})
    assert TYPES.get("phone").opts(f).region == "HK"


def test_a_marked_text_field_compares_a_whole_key_canonically() -> None:
    f = make_field("text", {"identity_key": "plate"})
    operand = TYPES.get("text").operand(f, CTX)
    assert operand("粤b 12345") == "粤B12345"
    assert operand("粤b") == "粤b"
