"""Rules for user-facing keys (apps, tables, fields): ASCII snake_case, not reserved."""

from __future__ import annotations

import re
from typing import TypeGuard

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")

#: Keys a user may not take because records or the API already use them.
RESERVED_KEYS = frozenset(
    {
        "id",
        "version",
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
        "owner_id",
        "deleted_at",
        "items",
        "total",
        "next_cursor",
        "query",
        "bulk",
        "export",
        "import",
        "history",
        "restore",
    }
)


def key_problem(key: object) -> str | None:
    """The catalogue key of what is wrong with ``key``, or None when it is fine."""
    if not isinstance(key, str) or not KEY_RE.match(key):
        return "key.format"
    if key in RESERVED_KEYS:
        return "key.reserved"
    return None


def slugify(text: str, fallback: str = "item") -> str:
    """A key derived from a display name (non-ASCII names give the fallback)."""
    s = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if not s or not s[0].isalpha():
        s = f"{fallback}_{s}" if s else fallback
    return s[:63]


#: Row ids are BIGINT: 1 to MAX_ID (the drivers bind at most 64-bit signed integers).
MAX_ID = 2**63 - 1


def is_id(value: object) -> TypeGuard[int]:
    """An integer (not a bool) a row id can be."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def id_from_text(text: str) -> int | None:
    """The row id an ASCII decimal text spells (a keyset cursor, an id in an address), or
    None: "²" is a digit to ``str.isdigit`` but not to ``int``, and a longer number would
    not fit the driver's parameter."""
    if not (text.isascii() and text.isdigit() and len(text) <= 19):
        return None
    value = int(text)
    return value if is_id(value) else None
