"""Requests and replies of One-ID merges (``/merges``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cairn.api.models.base import Reply
from cairn.api.schemas import Id


class MergePair(BaseModel):
    model_config = ConfigDict(extra="forbid")
    survivor_id: Id = Field(description="The record that stays")
    loser_id: Id = Field(description="The record merged into it (kept as a tombstone)")


class MergeCreate(MergePair):
    choices: dict[str, Any] | None = Field(
        None,
        description='Per field key: "survivor", "loser" or {"value": v}; other fields follow '
        "their survivorship rule",
    )
    suggestion_id: Id | None = Field(None, description="The duplicate suggestion merged")
    survivor_version: int | None = Field(None, description="409 if the survivor changed since")
    loser_version: int | None = Field(None, description="409 if the loser changed since")
    loser_table: str | None = Field(
        None, description="The loser's table key, if not this table (refused: 422)"
    )


class MergeFieldPreview(Reply):
    key: str
    label: str
    type: str
    #: How the field merges: ``value`` (survivorship or a choice), ``links`` (relations:
    #: united, or the survivor's single link), ``rows`` (sub-form rows appended).
    merge: Literal["value", "links", "rows"]
    survivor: Any = None
    loser: Any = None
    proposed: Any = None
    origin: Literal["survivor", "loser", "union", "choice"]
    choosable: bool


class MergeRelated(Reply):
    #: ``links`` (records of ``table``), ``rows`` (sub-form rows), ``comments``, ``process``
    #: (process instances), ``tasks``.
    kind: str
    table: str | None
    label: str
    count: int


class MergeSide(Reply):
    id: int
    version: int


class MergePreview(Reply):
    survivor: MergeSide
    loser: MergeSide
    fields: list[MergeFieldPreview]
    related: list[MergeRelated]


class MergePublic(Reply):
    id: int
    table: str
    survivor_id: int
    loser_id: int
    status: Literal["merged", "unmerged"]
    merged_at: str
    merged_by: int | None
    unmerged_at: str | None
    unmerged_by: int | None
    suggestion_id: int | None
    #: What moved to the survivor: ``links``, ``rows``, ``comments``, ``process``, ``tasks``.
    moved_counts: dict[str, int]
    #: Per field key whose value the merge set: ``loser``, ``union`` or ``choice``.
    choices: dict[str, str]
    #: After an unmerge: what could not be moved back (deleted or re-linked since).
    skipped: list[dict[str, Any]] | None = None


class MergeList(Reply):
    items: list[MergePublic]
