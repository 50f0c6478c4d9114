"""Replies of the customer timeline."""

from __future__ import annotations

from typing import Any

from cairn.api.models.base import Reply


class TimelineEntry(Reply):
    #: ``source:<i>`` (the i-th configured source), ``comment``, ``change``, ``process``,
    #: ``message`` or ``interaction``.
    kind: str
    #: The id within its kind (a record's, a comment's, a history row's …).
    id: int
    at: str
    title: str
    #: The table key and record the entry is about (its link).
    table: str | None
    record_id: int | None
    #: The user who did it (an id), when known.
    actor: int | None
    detail: dict[str, Any] | None


class TimelineKind(Reply):
    kind: str
    label: str
    #: Entries of the kind (up to 99; ``more``: there are more); null past the first page.
    count: int | None
    more: bool


class TimelinePage(Reply):
    entries: list[TimelineEntry]
    #: The cursor of the next page (``before=``); null on the last.
    next: str | None
    kinds: list[TimelineKind]
