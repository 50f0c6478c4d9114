"""Replies about records: a record, pages of them, bulk writes, history and the recycle bin.

The record routes send pre-serialized JSON (``cairn.api.fastjson``): these models are for
the document only, FastAPI does not validate those replies again.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from cairn.api.models.base import Open, Reply


class Record(Open):
    """A record: ``id``, ``version``, the system fields and each field's value by key. A
    sub-form field's value is its rows in order, ``[{"id", <column key>: value, …}]``; in a
    page of records (list, query) it is the number of rows instead, unless the page expands
    the field (``expand=<field key>``).

    Asked for by the id of a record merged into another (One-ID), the reply is the survivor
    with ``merged_into`` (the survivor's id) and ``merged_from`` (the id asked for)."""

    id: int
    version: int
    merged_into: int | None = None
    merged_from: int | None = None


class RecordsPage(Reply):
    """A page of records; with ``count``, the total and how exact it is (``total_kind``):
    ``exact``; ``at_least`` (more match: "10,000+"); ``estimate`` (the database's estimate:
    "about 12,000")."""

    items: list[Record]
    next_cursor: str | None
    total: int | None
    total_kind: Literal["exact", "estimate", "at_least"] | None = None


class FilterChecked(Reply):
    """A filter tree the table accepts from the caller (else a 422 names the bad node)."""

    ok: bool = True


class BulkWritten(Reply):
    """The records written, in the order sent; with ``Prefer: return=minimal``, their ids."""

    items: list[Record] = Field(default_factory=list)
    ids: list[int] = Field(default_factory=list)


class HistoryCellChange(Reply):
    """One column of a sub-form row that changed."""

    field: str | None
    name: str | None
    before: Any
    after: Any


class HistoryRowChange(Reply):
    """One row of a sub-form that a change added, changed, moved or removed.

    ``added``: ``position`` (its index in the new list) and ``values`` (its columns that are
    not blank, by key); ``removed``: its ``values`` as they were; ``changed``: ``changes``
    (the columns that changed), and ``position`` ``[old index, new index]`` if it moved
    too; ``moved``: only ``position``."""

    op: Literal["added", "changed", "moved", "removed"]
    id: int | None
    position: Any = None
    values: dict[str, Any] | None = None
    changes: list[HistoryCellChange] | None = None


class HistoryChange(Reply):
    """One field of a change: its value ``before`` and ``after``. For a sub-form field,
    ``before`` holds the rows removed, changed or moved as they were and ``after`` the rows
    added, changed or moved as they are (``{"id", "position"?, <column key>: value}``, only
    the columns that changed), and ``rows`` says row by row what happened."""

    field: str | None
    name: str | None
    before: Any
    after: Any
    rows: list[HistoryRowChange] | None = None


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
