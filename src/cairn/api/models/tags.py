"""Tags' bodies and replies: an app's tag vocabulary and the tags on a record."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cairn.api.models.base import Reply


class TagBody(BaseModel):
    """A tag of the app's vocabulary (checked by the service: every error at its attribute)."""

    model_config = ConfigDict(extra="forbid")
    name: Any = Field(description="1–50 characters, unique in the app")
    colour: Any = Field(
        None,
        description="blue, green, orange, red, purple, cyan, magenta, gold, gray, or #rrggbb",
    )
    group: Any = Field(None, description="Tags of one group show together (at most 50)")
    description: Any = None
    position: Any = None


class TagPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Any = None
    colour: Any = None
    group: Any = None
    description: Any = None
    position: Any = None


class Tag(Reply):
    id: int
    name: str
    colour: str
    group: str
    description: str
    position: int
    uses: int = Field(0, description="How many records carry the tag")


class TagList(Reply):
    items: list[Tag]


class TagDeleted(Reply):
    id: int
    removed: int = Field(description="How many records carried the tag")


class AppliedTag(Reply):
    id: int
    name: str
    colour: str
    group: str
    description: str
    source: str = Field(description="manual, rule or import")
    created_at: str


class RecordTags(Reply):
    items: list[AppliedTag]
    editable: bool = Field(description="Whether the caller may change the record's tags")


class RecordTagsBody(BaseModel):
    """The record's tags as they should be (ids of the app's tags)."""

    model_config = ConfigDict(extra="forbid")
    tags: Any


class RecordTagBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tag_id: Any


class TagApplyBody(BaseModel):
    """Add and remove tags on many records at once."""

    model_config = ConfigDict(extra="forbid")
    ids: Any = Field(description="Record ids (1–1000), each one the caller may update")
    add: Any = Field(default_factory=list, description="Tag ids to add")
    remove: Any = Field(default_factory=list, description="Tag ids to remove")


class TagApplied(Reply):
    updated: int = Field(description="How many records changed")
    ids: list[int]
