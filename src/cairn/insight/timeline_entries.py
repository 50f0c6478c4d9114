"""The entries of the customer timeline (``cairn.insight.timeline``): one entry (``Item``), a
kind of entries with its reader and counter (``Kind``), the opaque paging cursor, and the
text helpers of titles."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.core import Invalid
from cairn.insight.timeline_config import PLACEHOLDER
from cairn.store.timeline import Cursor, Window


@dataclass
class Item:
    at: datetime
    kind: str
    id: int
    title: str
    table: str | None
    record_id: int | None
    actor: int | None
    detail: dict[str, Any] | None

    @property
    def key(self) -> tuple[datetime, str, int]:
        return (self.at, self.kind, self.id)


@dataclass
class Kind:
    kind: str
    label: str
    #: One page of entries of this kind in the window (at most ``limit + 1``).
    read: Callable[[Window], list[Item]]
    #: The query whose rows count the kind (bounded), a count already made, or None.
    count: Callable[[], sa.Select[Any] | tuple[int, bool] | None]


def encode_cursor(c: Cursor) -> str:
    raw = json.dumps([c.at.isoformat(), c.kind, c.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str) -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        at, kind, id_ = json.loads(raw)
        if not isinstance(kind, str) or not isinstance(id_, int) or isinstance(id_, bool):
            raise ValueError
        return Cursor(datetime.fromisoformat(at).replace(tzinfo=None), kind, id_)
    except (ValueError, TypeError, UnicodeDecodeError):
        raise Invalid.on("before", "timeline.cursor") from None


def text_of(value: Any) -> str:
    """A dumped field value as title text."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(text_of(v) for v in value)
    if isinstance(value, dict):
        return str(value.get("name") or value.get("label") or value.get("id") or "")
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return str(value)


def clip(text: str, n: int = 120) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def render(template: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1).strip(), ""), template).strip()
