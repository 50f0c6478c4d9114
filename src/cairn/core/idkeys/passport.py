"""Passport number: upper-case letters and digits, 5 to 15 of them (ICAO 9303 gives the
machine-readable zone 9 characters; some states' numbers are longer). Chinese passports
are E/G and 8 digits or two letters and 7 digits; no check digit is printed on the page, so
none is checked."""

from __future__ import annotations

import re

from cairn.core.idkeys.common import KeyRefused, compact, shown

SHAPE_RE = re.compile(r"^[A-Z0-9]{5,15}$")


def normalise(value: str) -> str:
    text = compact(value, drop=" -.<")
    if not SHAPE_RE.match(text):
        raise KeyRefused("value.passport", value=shown(text))
    return text
