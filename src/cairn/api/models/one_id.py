"""One-ID's bodies and replies: match rules, duplicate suggestions, decisions, find-duplicates
jobs, matching. (``models.identity`` is about users and sign-in: an older use of the word.)"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cairn.api.models.base import Open, Reply
from cairn.api.schemas import Id

Compare = Literal["exact", "fuzzy"]
RuleKind = Literal["exact", "combo"]
RuleAction = Literal["suggest", "auto_merge"]
Decision = Literal["not_same", "later", "open"]
DuplicateStatus = Literal["open", "later", "not_same", "merged", "auto"]


class IdentityRulePartBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field: str = Field(description="A field key of the table, or of the related table with via")
    via: str | None = Field(None, description="A relation field of the table to read through")
    compare: Compare = "exact"


class IdentityRuleBody(BaseModel):
    """A match rule: exact (one key equal) or combo (every part compared)."""

    model_config = ConfigDict(extra="forbid")
    name: str
    kind: RuleKind
    parts: list[IdentityRulePartBody]
    threshold: float = Field(100, description="The least score (0–100) a pair needs")
    action: RuleAction = "suggest"
    enabled: bool = True
    position: int = 0


class IdentityRulePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    kind: RuleKind | None = None
    parts: list[IdentityRulePartBody] | None = None
    threshold: float | None = None
    action: RuleAction | None = None
    enabled: bool | None = None
    position: int | None = None


class IdentityRulePart(Reply):
    field: str | None
    via: str | None
    compare: str


class IdentityRule(Reply):
    id: int
    name: str
    kind: str
    parts: list[IdentityRulePart]
    threshold: float
    action: str
    enabled: bool
    position: int


class IdentityRuleList(Reply):
    items: list[IdentityRule]


class DuplicateRecordValues(Open):
    """Field key → value, as the reader may see the record."""


class DuplicateRecord(Reply):
    id: int
    title: str | None
    values: DuplicateRecordValues


class DuplicateRule(Reply):
    id: int
    name: str | None


class MatchEvidence(Reply):
    """One compared field: both values and the part's score (0–100)."""

    field: str
    label: str
    a: Any
    b: Any
    score: float


class Duplicate(Reply):
    id: int
    score: float
    status: str
    rule: DuplicateRule | None
    record_a: DuplicateRecord
    record_b: DuplicateRecord
    evidence: list[MatchEvidence]
    created_at: str


class DuplicateList(Reply):
    items: list[Duplicate]
    total: int


class DecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Decision


class BulkDecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[Id] = Field(min_length=1, max_length=1000)
    decision: Decision


class BulkDecision(Reply):
    updated: int


class DuplicateJob(Reply):
    id: int
    status: str
    total: int | None
    done: int
    found: int
    error: str | None
    created_at: str
    finished_at: str | None


class DuplicateJobList(Reply):
    items: list[DuplicateJob]


class MatchBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    values: dict[str, Any] = Field(
        description="Field key → value as typed; through a relation '<relation>.<field>'"
    )


class MatchCandidate(Reply):
    record_id: int
    score: float
    rule_id: int
    evidence: list[MatchEvidence]


class MatchReply(Reply):
    candidates: list[MatchCandidate]
