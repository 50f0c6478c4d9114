"""The fast path for plain mobile numbers must agree with phonenumbers on every input."""

from __future__ import annotations

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st

from cairn.meta.fieldtypes.base import BadValue
from cairn.meta.fieldtypes.contact import normalise_phone


def reference(text: str, region: str) -> str | None:
    try:
        n = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(n):
        return None
    return phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)


def ours(text: str, region: str) -> str | None:
    try:
        return normalise_phone(text, region)
    except BadValue:
        return None


digits = st.text(alphabet="0123456789", min_size=6, max_size=16)
prefix = st.sampled_from(["", "+86", "0086", "86", "+1", "+44", "+852", "1"])
sep = st.sampled_from(["", " ", "-"])


@settings(max_examples=3000)
@given(prefix, sep, digits, st.sampled_from(["CN", "US", "GB", "HK", "DE"]))
def test_fast_path_agrees_with_phonenumbers(p: str, s: str, d: str, region: str) -> None:
    text = f"{p}{s}{d}"
    assert ours(text, region) == reference(text, region)


@settings(max_examples=2000)
@given(st.integers(min_value=13_000_000_000, max_value=19_999_999_999), sep)
def test_cn_mobiles_agree(n: int, s: str) -> None:
    text = f"{str(n)[:3]}{s}{str(n)[3:7]}{s}{str(n)[7:]}"
    assert ours(text, "CN") == reference(text, "CN")
