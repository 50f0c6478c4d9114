"""Frequent-flyer programme number: the programme's airline (its IATA designator, two
characters with at least one letter: "CA", "MU", "3U") and the member number (5 to 15
digits), written without spaces or dashes: "ca 1234-5678" → "CA12345678"."""

from __future__ import annotations

import re

from cairn.core.idkeys.common import KeyRefused, compact, shown

SHAPE_RE = re.compile(r"^(?:[A-Z]{2}|[A-Z]\d|\d[A-Z])\d{5,15}$")


def normalise(value: str) -> str:
    text = compact(value, drop=" -./")
    if not SHAPE_RE.match(text):
        raise KeyRefused("value.ffp", value=shown(text))
    return text
