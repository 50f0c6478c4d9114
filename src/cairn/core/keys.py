"""Rules for user-facing keys (apps, tables, fields): ASCII snake_case, not reserved."""

from __future__ import annotations

import re

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
