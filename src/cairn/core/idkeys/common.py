"""What every key kind shares: the refusal and the clean-up of typed text."""

from __future__ import annotations

import functools
import unicodedata
from typing import Any


class KeyRefused(ValueError):
    """A value that is no key of its kind; ``rule`` is the message key naming the rule."""

    def __init__(self, rule: str, **params: Any) -> None:
        super().__init__(rule)
        self.rule = rule
        self.params = params


@functools.lru_cache(maxsize=16)
def _deleting(drop: str) -> dict[int, None]:
    return dict.fromkeys(map(ord, drop))


def compact(value: object, drop: str = " -") -> str:
    """Text as half-width upper case without the separators in ``drop`` (and without any
    white space): "ｌｓｖ ａｇ-１" → "LSVAG1". NFKC turns full-width letters, digits and
    spaces into their ASCII forms and leaves Chinese characters alone."""
    if not isinstance(value, str):
        raise KeyRefused("value.text")
    text = value if value.isascii() else unicodedata.normalize("NFKC", value)
    return "".join(text.upper().split()).translate(_deleting(drop))


def shown(text: str, limit: int = 40) -> str:
    """A refused value as the message quotes it: cut short, so a message stays a line."""
    return text if len(text) <= limit else text[:limit] + "…"
