"""Replies about records: a record, pages of them, bulk writes, history and the recycle bin.

The record routes send pre-serialized JSON (``cairn.api.fastjson``): these models are for
the document only, FastAPI does not validate those replies again.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from cairn.api.models.base import Open, Reply


class Record(Open):
    """A record: ``id``, ``version``, the system fields and each field's value by key."""

    id: int
    version: int


class RecordsPage(Reply):
    items: list[Record]
    next_cursor: str | None
    total: int | None


class BulkWritten(Reply):
    """The records written, in the order sent; with ``Prefer: return=minimal``, their ids."""

    items: list[Record] = Field(default_factory=list)
    ids: list[int] = Field(default_factory=list)


class HistoryChange(Reply):
    field: str | None
    name: str | None
    before: Any
    after: Any


class HistoryEntry(Reply):
    id: int | None
    version: int
    action: str
    at: str
    actor_id: int | None
    changes: list[HistoryChange]


class RecordHistory(Reply):
    items: list[HistoryEntry]


class DeletedBy(Reply):
    id: int | None
    name: str | None


class DeletedRecord(Reply):
    id: int
    title: str
    deleted_at: str
    deleted_by: DeletedBy | None


class RecycleBinPermissions(Reply):
    restore: bool
    purge: bool


class RecordRecycleBin(Reply):
    """Deleted records, last deleted first."""

    items: list[DeletedRecord]
    next_cursor: str | None
    total: int | None
    permissions: RecycleBinPermissions


class UploadedFile(Open):
    """A stored file, as a file field's value holds it."""
