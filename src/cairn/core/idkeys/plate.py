"""Chinese vehicle plate number (机动车号牌, GA 36).

Normalised: full-width to half-width, upper case, no spaces, dots, middle dots or dashes
("粤b·12345" → "粤B12345"). Accepted: a province abbreviation, the issuing office's letter
(no I or O), then either five characters of the ordinary plate (letters without I and O,
digits; the last may be 挂 学 警 港 澳 领 试 超) or six of a new-energy plate (small cars:
D/F or another energy letter, a letter or digit, four digits; large vehicles: five digits,
then D/F or another energy letter). Not accepted: military, armed-police and embassy plates
(their formats are not the public GA 36 ones).
"""

from __future__ import annotations

import re

from cairn.core.idkeys.common import KeyRefused, compact, shown

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
ALNUM = "A-HJ-NP-Z0-9"
#: New-energy letters (GA 36-2018 and its 2022 extension): D/A-E pure electric, F/G-K others.
ENERGY = "A-HJK"
PLATE_RE = re.compile(
    f"^[{PROVINCES}][A-HJ-NP-Z]"
    f"(?:[{ALNUM}]{{4}}[{ALNUM}挂学警港澳领试超]"  # ordinary: 7 characters
    f"|[{ENERGY}][{ALNUM}]\\d{{4}}"  # new energy, small car: 8 characters
    f"|\\d{{5}}[{ENERGY}])$"  # new energy, large vehicle: 8 characters
)


def normalise(value: str) -> str:
    text = compact(value, drop=" -.·•・")
    if not PLATE_RE.match(text):
        raise KeyRefused("value.plate", value=shown(text))
    return text
