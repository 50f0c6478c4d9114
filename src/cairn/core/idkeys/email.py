"""E-mail address as a key: checked by the form engine's rule and case-folded whole, so
"Li.Lei@Example.COM" and "li.lei@example.com" are one key (the field itself keeps the local
part as typed: some servers tell case apart, people practically never do)."""

from __future__ import annotations

import re

from cairn.core.idkeys.common import KeyRefused

EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
MAX_LENGTH = 254


def check(value: object) -> str:
    """The address stripped of surrounding white space, if it is one; raises KeyRefused."""
    if not isinstance(value, str):
        raise KeyRefused("value.email", value=value)
    text = value.strip()
    if len(text) > MAX_LENGTH or not EMAIL_RE.match(text):
        raise KeyRefused("value.email", value=text)
    return text


def normalise(value: str) -> str:
    return check(value).casefold()
