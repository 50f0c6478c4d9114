"""Replies of the deliveries page: messages and webhooks sent through outside channels, their
attempts and the replays; and one delivery of a channel's test send."""

from __future__ import annotations

from typing import Any

from cairn.api.models.base import Reply


class DeliveryRule(Reply):
    id: int
    key: str
    name: str
    app: str | None


class DeliveryRecord(Reply):
    app: str
    table: str
    id: int


class Delivery(Reply):
    id: int
    channel: str
    #: The kind of channel: email, sms, wecom, dingtalk, webhook …
    kind: str
    recipient: str
    #: pending, sent, retrying (the worker tries again at ``next_attempt_at``) or dead.
    status: str
    attempts: int
    error: str | None
    #: The provider's last answer (status line and body, truncated).
    response: str | None
    subject: str
    created_at: str | None
    updated_at: str | None
    sent_at: str | None
    next_attempt_at: str | None
    rule: DeliveryRule | None
    run_id: int | None
    record: DeliveryRecord | None


class DeliveryPage(Reply):
    items: list[Delivery]
    next_cursor: str | None
    #: Deliveries matching the filters (all pages).
    total: int


class DeliveryAttempt(Reply):
    at: str | None
    #: sent or failed
    status: str
    error: str | None
    response: str | None
    ms: int
    #: The administrator who replayed it (user id); None for the first send and the retries.
    replay_by: int | None


class DeliveryDetail(Reply):
    id: int
    channel: str
    kind: str
    recipient: str
    status: str
    error: str | None
    response: str | None
    subject: str
    created_at: str | None
    updated_at: str | None
    sent_at: str | None
    next_attempt_at: str | None
    rule: DeliveryRule | None
    run_id: int | None
    record: DeliveryRecord | None
    idempotency_key: str | None
    #: What is sent again: subject, body, link, data, url, mentions (never a secret).
    payload: dict[str, Any]
    attempt_count: int
    attempts: list[DeliveryAttempt]


class DeliveryReplayAll(Reply):
    replayed: int
    sent: int
    failed: int


class DeliverySummary(Reply):
    dead: int
    retrying: int


# One recipient's message of a channel's test send (``channels.ChannelTest``).
class TestDelivery(Reply):
    recipient: Any
    #: ``sent``, ``retrying`` or ``dead``.
    status: str
    detail: dict[str, Any]
    #: The provider's answer (status line and body, truncated); None when none came.
    response: str | None = None
    error: str | None = None
    delivery_id: int | None = None
