"""VIN (vehicle identification number, 车辆识别代号): ISO 3779, 49 CFR 565, GB 16735.

17 characters from the digits and the letters without I, O and Q. Position 9 is a check
digit (0-9 or X) computed by transliterating the letters to numbers and weighting each
position; it is enforced where the standard of the country of manufacture requires it:
North America (WMI first character 1-5, 49 CFR 565) and China (WMI first character L:
GB 16735, 2004 and its 2019 revision, makes position 9 a check digit by the same algorithm). Elsewhere (Europe, Japan, Korea …) the ISO
standard leaves position 9 to the maker, so only length and characters are checked.
"""

from __future__ import annotations

import re

from cairn.core.idkeys.common import KeyRefused, compact, shown

CHARS_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")

#: ISO 3779 / 49 CFR 565.15 transliteration of letters (I, O, Q are not used).
VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
#: WMI first characters whose VINs must carry the check digit: 1-5 North America, L China.
CHECKED_REGIONS = frozenset("12345L")


def check_digit(vin: str) -> str:
    """The check character of a 17-character VIN (position 9 takes no part)."""
    total = sum(VALUES[c] * w for c, w in zip(vin, WEIGHTS, strict=True))
    rest = total % 11
    return "X" if rest == 10 else str(rest)


def check_enforced(vin: str) -> bool:
    return vin[:1] in CHECKED_REGIONS


def normalise(value: str) -> str:
    text = compact(value, drop=" -.")
    if len(text) != 17:
        raise KeyRefused("value.vin_length", value=shown(text), length=len(text))
    if not CHARS_RE.match(text):
        bad = sorted({c for c in text if c not in VALUES})
        raise KeyRefused("value.vin_chars", value=text, chars="".join(bad))
    if check_enforced(text):
        expected = check_digit(text)
        if text[8] != expected:
            raise KeyRefused("value.vin_check", value=text, expected=expected)
    return text
