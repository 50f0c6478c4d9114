"""Valid identity keys built from the published algorithms, written here from the standards
(not from the code under test), and a way to change one character of a key."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

DIGITS = "0123456789"

# -- VIN: 49 CFR 565.15 ------------------------------------------------------------------------
VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
VIN_VALUE = dict(
    zip(
        "ABCDEFGHJKLMNPRSTUVWXYZ",
        [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9],
        strict=True,
    )
)
VIN_VALUE.update({d: int(d) for d in DIGITS})
VIN_WEIGHT = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]


def vin_with_check(body: str) -> str:
    total = sum(VIN_VALUE[c] * w for c, w in zip(body, VIN_WEIGHT, strict=True))
    return body[:8] + "0123456789X"[total % 11] + body[9:]


@st.composite
def vins(draw: st.DrawFn, first: str = "12345LWJKSVZ") -> str:
    head = draw(st.sampled_from(first))
    body = head + "".join(draw(st.lists(st.sampled_from(VIN_CHARS), min_size=16, max_size=16)))
    return vin_with_check(body)


# -- ID number: GB 11643-1999, ISO 7064 MOD 11-2 ----------------------------------------------
PROVINCES = ["11", "31", "44", "51", "65", "71", "81", "82", "83"]


def id_check(first17: str) -> str:
    total = sum(int(c) * pow(2, 17 - i, 11) for i, c in enumerate(first17))
    return "10X98765432"[total % 11]


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(PROVINCES)) + draw(st.text(DIGITS, min_size=4, max_size=4))
    born = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)))
    seq = draw(st.text(DIGITS, min_size=3, max_size=3))
    body = region + born.strftime("%Y%m%d") + seq
    return body + id_check(body)


# -- Unified social credit code: GB 32100-2015, MOD 31 ----------------------------------------
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def uscc_check(first17: str) -> str:
    total = sum(USCC_CHARS.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return USCC_CHARS[(31 - total % 31) % 31]


@st.composite
def credit_codes(draw: st.DrawFn) -> str:
    head = "".join(draw(st.lists(st.sampled_from(USCC_CHARS), min_size=2, max_size=2)))
    region = draw(st.text(DIGITS, min_size=6, max_size=6))
    org = "".join(draw(st.lists(st.sampled_from(USCC_CHARS), min_size=9, max_size=9)))
    body = head + region + org
    return body + uscc_check(body)


@st.composite
def one_changed(draw: st.DrawFn, key: str, alphabet: str) -> str:
    """``key`` with one character replaced by another of ``alphabet``."""
    at = draw(st.integers(0, len(key) - 1))
    other = draw(st.sampled_from([c for c in alphabet if c != key[at]]))
    return key[:at] + other + key[at + 1 :]
