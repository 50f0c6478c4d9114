"""Segments' bodies and replies (issue 22)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cairn.api.models.base import Open, Reply

SegmentKind = Literal["dynamic", "static"]
SegmentRefresh = Literal["hourly", "daily"]


class SegmentBody(BaseModel):
    """A segment: a condition on a table (dynamic) or a list kept by hand (static)."""

    model_config = ConfigDict(extra="forbid")
    name: str
    table: str = Field(description="The key of the table whose records it holds")
    description: str = ""
    kind: SegmentKind = "dynamic"
    filter: Any = Field(None, description="A filter tree (dynamic segments)")
    refresh: SegmentRefresh | None = Field(
        None, description="Re-evaluation besides events (a time-based condition: daily at least)"
    )


class SegmentPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    description: str | None = None
    filter: Any = None
    refresh: SegmentRefresh | None = None


class SegmentPreviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    table: str
    filter: Any = None


class SegmentFreezeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None


class SegmentMembersBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[int]


class Segment(Reply):
    id: int
    name: str
    description: str
    table: str | None
    kind: str
    filter: Any
    refresh: str | None
    member_count: int
    evaluated_at: datetime | None
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    #: After an evaluation or a change of members: how many entered and left.
    entered: int = 0
    left: int = 0


class SegmentList(Reply):
    items: list[Segment]


class SegmentPreview(Reply):
    count: int
    time_based: bool


class SegmentMember(Reply):
    record: Open
    entered_at: datetime


class SegmentMembers(Reply):
    items: list[SegmentMember]
    total: int
    limit: int
    offset: int


class SegmentChange(Reply):
    record_id: int
    title: Any = None
    change: str
    at: datetime
    cause: str


class SegmentHistory(Reply):
    items: list[SegmentChange]
    total: int
    limit: int
    offset: int


class SegmentDay(Reply):
    day: date
    members: int
    entered: int
    left: int


class SegmentCounts(Reply):
    items: list[SegmentDay]


class RecordSegment(Reply):
    id: int
    name: str
    kind: str
    entered_at: datetime


class RecordSegments(Reply):
    items: list[RecordSegment]
