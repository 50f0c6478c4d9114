"""Keys with a check character: VIN, Chinese resident ID number, unified social credit code.

Valid keys generated from the published algorithms (tests/support/idkey_strategies.py) come
back unchanged, however they are typed, and normalising twice changes nothing; one changed
character is refused with the rule it breaks; the standards' own examples pass."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc

from cairn.core.idkeys import KeyRefused, credit_code, id_number, normalise_key, vin
from support.idkey_strategies import (
    DIGITS,
    USCC_CHARS,
    VIN_CHARS,
    VIN_VALUE,
    credit_codes,
    id_numbers,
    one_changed,
    vins,
)

EXAMPLES = settings(max_examples=200, deadline=None)


def messy(key: str, data: st.DataObject) -> str:
    """``key`` as people type it: lower case, full-width, spaces and dashes between."""
    out = []
    for c in key:
        c = data.draw(st.sampled_from([c, c.lower(), chr(ord(c) + 0xFEE0)]))
        out.append(c + data.draw(st.sampled_from(["", "", " ", "-"])))
    return " " + "".join(out) + " "


def rule_of(kind: str, text: str) -> str | None:
    try:
        normalise_key(kind, text)
    except KeyRefused as e:
        return e.rule
    return None


# -- VIN --------------------------------------------------------------------------------------
@EXAMPLES
@given(vins(), st.data())
def test_a_valid_vin_round_trips_however_typed(key: str, data: st.DataObject) -> None:
    assert vin.normalise(key) == key
    assert vin.normalise(messy(key, data)) == key
    assert vin.normalise(vin.normalise(key)) == key


@EXAMPLES
@given(vins(first="12345L"), st.data())
def test_a_checked_vin_with_one_character_changed_is_refused(key: str, data: st.DataObject) -> None:
    at = data.draw(st.integers(1, 16))  # the first character decides whether the check applies
    # A, J and 1 (and the like) share a value: the check cannot see those swaps (49 CFR 565).
    other = data.draw(st.sampled_from([c for c in VIN_CHARS if VIN_VALUE[c] != VIN_VALUE[key[at]]]))
    changed = key[:at] + other + key[at + 1 :]
    assert rule_of("vin", changed) == "value.vin_check"


def test_published_vins() -> None:
    assert vin.normalise("1M8GDM9AXKP042788") == "1M8GDM9AXKP042788"  # 49 CFR 565 example
    assert vin.normalise("1m8gdm9a-xkp042788") == "1M8GDM9AXKP042788"
    assert vin.normalise("11111111111111111") == "11111111111111111"
    with pytest.raises(KeyRefused) as e:
        vin.normalise("1M8GDM9A1KP042788")
    assert (e.value.rule, e.value.params["expected"]) == ("value.vin_check", "X")


def test_vin_rules_named() -> None:
    assert rule_of("vin", "1M8GDM9AXKP04278") == "value.vin_length"
    assert rule_of("vin", "1M8GDM9AXKP0427O8") == "value.vin_chars"  # the letter O
    assert rule_of("vin", "1M8GDM9AXKP0427I8") == "value.vin_chars"
    assert rule_of("vin", "LSVAG2180E2100001") == "value.vin_check"  # a Chinese VIN: GB 16735
    assert rule_of("vin", "LSVAG2186E2100001") is None
    # A European VIN: position 9 is the maker's, so only length and characters are checked.
    assert rule_of("vin", "WVWZZZ1JZXW000001") is None


# -- ID number --------------------------------------------------------------------------------
@EXAMPLES
@given(id_numbers(), st.data())
def test_a_valid_id_number_round_trips_however_typed(key: str, data: st.DataObject) -> None:
    assert id_number.normalise(key) == key
    assert id_number.normalise(messy(key, data)) == key
    assert id_number.normalise(id_number.normalise(key)) == key


@EXAMPLES
@given(id_numbers(), st.data())
def test_an_id_number_with_one_digit_changed_is_refused(key: str, data: st.DataObject) -> None:
    changed = data.draw(one_changed(key, DIGITS + "X"))
    assert rule_of("id_number", changed) is not None


def test_published_id_numbers() -> None:
    # The examples of GB 11643-1999 itself; a typed x is the check character X.
    assert id_number.normalise("11010519491231002x") == "11010519491231002X"
    assert id_number.normalise("440524188001010014") == "440524188001010014"
    with pytest.raises(KeyRefused) as e:
        id_number.normalise("110105194912310021")
    assert (e.value.rule, e.value.params["expected"]) == ("value.id_number_check", "X")


def test_an_old_15_digit_number_becomes_its_18_digit_form() -> None:
    assert id_number.normalise("110105491231002") == "11010519491231002X"


def test_id_number_rules_named() -> None:
    assert rule_of("id_number", "11010519491231002") == "value.id_number_shape"
    assert rule_of("id_number", "1101051949123100XX") == "value.id_number_shape"
    assert rule_of("id_number", "990105194912310028") == "value.id_number_region"
    body = "11010519490230002"  # 30 February
    assert rule_of("id_number", body + id_number.check_character(body)) == "value.id_number_date"
    future = "110105" + (dt.date.today() + dt.timedelta(days=400)).strftime("%Y%m%d") + "002"
    assert (
        rule_of("id_number", future + id_number.check_character(future)) == "value.id_number_date"
    )


# -- Unified social credit code ---------------------------------------------------------------
@EXAMPLES
@given(credit_codes(), st.data())
def test_a_valid_credit_code_round_trips_however_typed(key: str, data: st.DataObject) -> None:
    assert credit_code.normalise(key) == key
    assert credit_code.normalise(messy(key, data)) == key
    assert credit_code.normalise(credit_code.normalise(key)) == key


@EXAMPLES
@given(credit_codes(), st.data())
def test_a_credit_code_with_one_character_changed_is_refused(key: str, data: st.DataObject) -> None:
    changed = data.draw(one_changed(key, USCC_CHARS))
    assert rule_of("credit_code", changed) is not None


def test_published_credit_codes() -> None:
    assert credit_code.normalise("91110000600037341L") == "91110000600037341L"
    assert credit_code.normalise("9135 0100 M000 100Y43") == "91350100M000100Y43"
    with pytest.raises(KeyRefused) as e:
        credit_code.normalise("91110000600037341M")
    assert (e.value.rule, e.value.params["expected"]) == ("value.credit_code_check", "L")


def test_credit_code_rules_named() -> None:
    assert rule_of("credit_code", "91110000600037341") == "value.credit_code_length"
    assert rule_of("credit_code", "9111000060003734IL") == "value.credit_code_chars"  # I
    assert rule_of("credit_code", "911A0000600037341L") == "value.credit_code_chars"  # region


@EXAMPLES
@given(credit_codes())
def test_the_credit_code_check_agrees_with_python_stdnum(key: str) -> None:
    assert credit_code.check_character(key[:17]) == uscc.calc_check_digit(key[:17]) == key[17]
    assert uscc.is_valid(key) or not key[:2].isdigit()  # stdnum wants digits in 1-2
