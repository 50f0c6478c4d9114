"""Customer bodies and replies (issue 22): interactions, screen pop and the 360° summary."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cairn.api.models.base import Reply

_KINDS = "call, visit, email, meeting, login, order or other"


class InteractionCreate(BaseModel):
    """One interaction logged by hand with a record (checked by the service, every bad
    attribute named)."""

    model_config = ConfigDict(extra="allow")
    kind: Any = Field(None, description=_KINDS)
    direction: Any = Field(None, description="in, out, or null")
    occurred_at: Any = Field(None, description="ISO 8601; default now")
    subject: Any = None
    body: Any = None
    duration_seconds: Any = None
    source: Any = Field(None, description="Where it came from; default manual")


class InteractionPost(InteractionCreate):
    """An interaction posted by another system: the customer by ``table`` and ``record_id``,
    or by ``table``, ``key`` (phone, email, vin, id_number, ffp, … or a key field's key) and
    ``value``; an ``idempotency_key`` (or the ``Idempotency-Key`` header) makes a retry safe."""

    table: Any = None
    record_id: Any = None
    key: Any = None
    value: Any = None
    idempotency_key: Any = None


class InteractionActor(Reply):
    id: int
    username: str
    display_name: str


class Interaction(Reply):
    id: int
    table_id: int
    record_id: int
    kind: str
    direction: str | None
    occurred_at: str
    subject: str
    body: str | None
    duration_seconds: int | None
    source: str
    idempotency_key: str | None
    actor: InteractionActor | None
    created_at: str


class InteractionPage(Reply):
    items: list[Interaction]
    next_cursor: str | None


class IdentityKeyValue(Reply):
    field: str
    name: str
    kind: str
    #: As the caller may see it (masked when the field is masked for them).
    value: Any


class SummaryOwner(Reply):
    id: int
    name: str


class SummaryMetric(Reply):
    field: str
    name: str
    value: Any


class SummarySection(Reply):
    relation: str
    name: str
    #: The related records the caller may read, counted up to 1,000 (``more``: there are more).
    count: int
    more: bool


class CustomerSummary(Reply):
    app: str
    table: str
    id: int
    title: str
    identity_keys: list[IdentityKeyValue]
    owner: SummaryOwner | None
    metrics: list[SummaryMetric]
    sections: list[SummarySection]
    interactions: int
    customer_table: bool


class LookupVia(Reply):
    """The related record (a customer's aircraft, membership) whose key matched."""

    table: str
    name: str
    id: int
    title: str


class CustomerMatch(CustomerSummary):
    #: Found through a record of a related table (absent: the customer's own key matched).
    via: LookupVia | None = None


class CustomerLookup(Reply):
    matches: list[CustomerMatch]
