"""Replies about a table's indexes (administrators)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from cairn.api.models.base import Reply


class IndexColumn(Reply):
    column: str = Field(description="The column (f_<field id>, or a system column)")
    field: str | None = Field(description="The field's key; null for a system column")
    name: str = Field(description="The field's name, or the column's")


class IndexShape(Reply):
    """A query shape, by field names: equality fields, range fields, the sort field; ``field``
    for the single-field kinds (what was filtered or sorted on, grouped by)."""

    eq: list[str]
    range: list[str]
    sort: str | None
    field: str | None
    unserved: list[str] = Field(description="Parts no index serves: contains, formula, …")


class TableIndex(Reply):
    name: str
    columns: list[IndexColumn]
    origin: Literal["automatic", "declared"]
    kind: str = Field(
        description="primary, unique, sensitive, record_owner, subform_rows, other; automatic:"
        " plain, group, scoped, owner, composite"
    )
    unique: bool
    size_bytes: int | None = Field(description="On disk; null when the database cannot tell")
    scans: int | None = Field(description="Index scans counted by PostgreSQL; null on SQLite")
    shape: IndexShape | None = Field(default=None, description="The query shape that asked")
    uses: int | None = Field(default=None, description="Queries counted before it was built")
    created_at: str | None = None
    last_used_at: str | None = Field(default=None, description="A query it serves last ran")


class IndexedQuery(Reply):
    """A recent page query's shape, the index that serves it best, and why none does fully."""

    shape: IndexShape
    count: int
    last_seen: str
    index: str | None
    complete: bool
    reasons: list[str] = Field(
        description="contains, formula, negation, or, few_values, small_table, cap, pending"
    )


class IndexPolicyReply(Reply):
    after_uses: int
    min_rows: int
    max_per_table: int
    unused_days: int


class TableIndexes(Reply):
    table: str
    rows: int = Field(description="About how many records the table has held (its highest id)")
    indexes: list[TableIndex]
    queries: list[IndexedQuery]
    policy: IndexPolicyReply
    automatic_count: int
