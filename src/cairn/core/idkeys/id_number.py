"""Chinese resident ID number (公民身份号码, GB 11643-1999).

18 characters: a 6-digit administrative region code, the birth date YYYYMMDD, a 3-digit
sequence number and a check character by ISO 7064 MOD 11-2 (0-9 or X; a typed 'x' becomes
'X'). Checked: the shape, the region's province (first two digits), a real birth date neither
in the future nor before 1800 (the standard's own example was born in 1880), the check
character. Not checked: whether the full region code exists, since it records where the
number was first issued and the official table changes every year (old codes stay valid on
the cards that carry them).

A 15-digit number (first-generation card, no longer valid since 2013) is accepted and
upgraded to its 18-digit form the way GB 11643-1999 defines it: "19" goes before the
two-digit year and the check character is computed. Same person, one canonical key.
"""

from __future__ import annotations

import datetime as dt
import re

from stdnum.cn import ric

from cairn.core.idkeys.common import KeyRefused, compact, shown

SHAPE_RE = re.compile(r"^\d{17}[\dX]$")
OLD_RE = re.compile(r"^\d{15}$")
#: Province-level codes (GB/T 2260) and 81/82/83, used by residence permits of Hong Kong,
#: Macao and Taiwan residents (港澳台居民居住证), which follow the same number rules.
PROVINCES = frozenset(
    {
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
        "83",
    }
)
EARLIEST = dt.date(1800, 1, 1)


def check_character(number17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits."""
    return ric.calc_check_digit(number17 + "0")


def upgrade(old: str) -> str:
    """The 18-digit form of a 15-digit number (GB 11643-1999)."""
    body = old[:6] + "19" + old[6:]
    return body + check_character(body)


def birth_date(number: str) -> dt.date | None:
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def normalise(value: str, today: dt.date | None = None) -> str:
    text = compact(value)
    if OLD_RE.match(text):
        text = upgrade(text)
    if not SHAPE_RE.match(text):
        raise KeyRefused("value.id_number_shape", value=shown(text))
    if text[:2] not in PROVINCES:
        raise KeyRefused("value.id_number_region", value=text, region=text[:6])
    born = birth_date(text)
    if born is None or born < EARLIEST or born > (today or dt.date.today()):
        raise KeyRefused("value.id_number_date", value=text, date=text[6:14])
    expected = check_character(text[:17])
    if text[17] != expected:
        raise KeyRefused("value.id_number_check", value=text, expected=expected)
    return text
