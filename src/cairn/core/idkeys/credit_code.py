"""Unified social credit code (统一社会信用代码, GB 32100-2015).

18 characters from the 31 of the standard: the digits and the capital letters without
I, O, Z, S and V. Position 1 is the registering authority, 2 the kind of organisation,
3-8 the region code (digits), 9-17 the organisation code, 18 the MOD 31 check character
with the weights 3^i mod 31. Checked: charset, the six region digits, the check character.
Not checked: the registering-authority and kind codes against their current lists (the
lists grow: N for rural collectives, A … came after 2015) nor the organisation code's own
GB 11714 check digit (codes given before the organisation code was folded in lack it).
"""

from __future__ import annotations

import re

from cairn.core.idkeys.common import KeyRefused, compact, shown

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUE = {c: i for i, c in enumerate(ALPHABET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
SHAPE_RE = re.compile(r"^[0-9A-HJ-NP-RT-UW-Y]{2}\d{6}[0-9A-HJ-NP-RT-UW-Y]{10}$")


def check_character(code17: str) -> str:
    """The MOD 31 check character of the first 17 characters. Computed here, not by
    ``stdnum.cn.uscc.calc_check_digit``, which cleans its input again on every call (about 15
    times slower on the import path); the tests hold the two equal."""
    total = sum(VALUE[c] * w for c, w in zip(code17, WEIGHTS, strict=True))
    return ALPHABET[-total % 31]


def normalise(value: str) -> str:
    text = compact(value)
    if len(text) != 18:
        raise KeyRefused("value.credit_code_length", value=shown(text), length=len(text))
    if not SHAPE_RE.match(text):
        raise KeyRefused("value.credit_code_chars", value=text)
    expected = check_character(text[:17])
    if text[17] != expected:
        raise KeyRefused("value.credit_code_check", value=text, expected=expected)
    return text
