"""Keys without a check character: mobile, e-mail, passport, FFP number, plate number.
Each is normalised one way however it is typed, and what is plainly none is refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cairn.core.idkeys import KINDS, KeyRefused, normalise_key
from cairn.core.idkeys import plate as plates

EXAMPLES = settings(max_examples=200, deadline=None)
ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def refused(kind: str, text: str) -> str | None:
    try:
        normalise_key(kind, text)
    except KeyRefused as e:
        return e.rule
    return None


@pytest.mark.parametrize(
    ("kind", "typed", "key"),
    [
        ("mobile", "138 0013 8000", "+8613800138000"),
        ("mobile", "+86 138-0013-8000", "+8613800138000"),
        ("email", " Li.Lei@Example.COM ", "li.lei@example.com"),
        ("passport", "e1234 5678", "E12345678"),
        ("passport", "ＥＡ１２３４５６７", "EA1234567"),
        ("ffp", "ca 1234-5678-90", "CA1234567890"),
        ("ffp", "3u.88886666", "3U88886666"),
        ("plate", "粤b·12345", "粤B12345"),
        ("plate", "京Ａ ＡＢ１２３", "京AAB123"),
        ("plate", "粤BD12345", "粤BD12345"),  # new energy, small car
        ("plate", "沪A12345F", "沪A12345F"),  # new energy, large vehicle
        ("plate", "粤Z1234港", "粤Z1234港"),
    ],
)
def test_keys_are_normalised(kind: str, typed: str, key: str) -> None:
    assert normalise_key(kind, typed) == key
    assert normalise_key(kind, key) == key


@pytest.mark.parametrize(
    ("kind", "text", "rule"),
    [
        ("mobile", "12345", "value.phone"),
        ("email", "li.lei@", "value.email"),
        ("passport", "E12", "value.passport"),
        ("passport", "E1234567#", "value.passport"),
        ("ffp", "12345678", "value.ffp"),  # no airline
        ("ffp", "CA12", "value.ffp"),
        ("plate", "粤I12345", "value.plate"),  # no I as the office letter
        ("plate", "粤B1234", "value.plate"),
        ("plate", "XB12345", "value.plate"),  # no province
        ("plate", "粤B123456", "value.plate"),  # new energy needs its energy letter
    ],
)
def test_what_is_no_key_is_refused_naming_the_rule(kind: str, text: str, rule: str) -> None:
    assert refused(kind, text) == rule


@EXAMPLES
@given(
    st.sampled_from(plates.PROVINCES),
    st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ"),
    st.text(ALNUM, min_size=5, max_size=5),
    st.sampled_from(["", " ", "·", "."]),
)
def test_ordinary_plates_round_trip(p: str, office: str, rest: str, sep: str) -> None:
    key = p + office + rest
    assert plates.normalise(f"{p}{office.lower()}{sep}{rest.lower()}") == key
    assert plates.normalise(key) == key


@EXAMPLES
@given(st.sampled_from(sorted(KINDS)), st.text(max_size=30))
def test_every_kind_is_idempotent_or_refuses(kind: str, text: str) -> None:
    try:
        key = normalise_key(kind, text)
    except KeyRefused:
        return
    assert normalise_key(kind, key) == key
