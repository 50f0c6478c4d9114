"""A message to send and what it becomes per recipient: the ``OutboundMessage`` callers build,
its recipients resolved for a channel (``recipients_of``), the channel's message for each
(``channel_message``), what a delivery keeps to send it again (``payload_of``), an attempt as
recorded (``Attempt``) and the failures of a message raised as one error (``outcome``).
``sending.Sender`` sends."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from cairn.integrations.channels import (
    Channel,
    ChannelConfig,
    ChannelError,
    ChannelMessage,
    Delivery,
)
from cairn.integrations.recipients import Target, delivery_key, resolve


@dataclass(frozen=True)
class OutboundMessage:
    #: "inapp" | "email" | "sms" | "wecom" | "dingtalk" | "webhook", or a configured key such
    #: as "wecom:service-group" (the part before ":" is the kind).
    channel: str
    #: "user:12" (resolved per channel), e-mail addresses, phone numbers; empty for robot
    #: channels and webhooks.
    recipients: list[str] = field(default_factory=list)
    subject: str = ""
    #: Already rendered text (``templates.render``).
    body: str = ""
    link: str | None = None
    #: The webhook's JSON body; for e-mail an optional "html" alternative.
    data: dict[str, Any] = field(default_factory=dict)
    #: The webhook target (its secret comes from the channel config).
    url: str | None = None
    app_id: int | None = None
    table_id: int | None = None
    record_id: int | None = None
    idempotency_key: str | None = None
    #: Where it came from (a rule's run), kept with the delivery for the administrators' page.
    rule_id: int | None = None
    run_id: int | None = None
    #: False: a failure is not tried again by the worker (a test send shows its answer now).
    retry: bool = True


@dataclass(frozen=True)
class Attempt:
    """One attempt of one delivery as recorded: the delivery, or the error and the status it
    left the delivery in (``retrying`` or ``dead``)."""

    delivery_id: int
    status: str
    delivery: Delivery | None = None
    error: ChannelError | None = None


def payload_of(message: OutboundMessage, t: Target) -> dict[str, Any]:
    """What a delivery keeps to be sent again: the content, never a secret (those stay in
    the channel config); JSON-safe."""
    raw = {
        "subject": message.subject,
        "body": message.body,
        "link": message.link,
        "data": dict(message.data),
        "url": message.url,
        "mentions": list(t.mentions),
    }
    return json.loads(json.dumps(raw, ensure_ascii=False, default=str))


def channel_message(
    message: OutboundMessage, t: Target, kind: str, delivery_id: int | None = None
) -> ChannelMessage:
    """What the channel sends to the recipient ``t``, with the key that makes a repeated
    attempt of one delivery the same message to the channel."""
    key = delivery_key(message.idempotency_key, message.channel, t.label)
    if key is None and delivery_id is not None:
        key = f"delivery:{delivery_id}"  # one key across the delivery's attempts
    return ChannelMessage(
        recipient=t.address,
        subject=message.subject,
        body=message.body,
        link=message.link,
        data=message.data,
        url=message.url,
        idempotency_key=key,
        mentions=t.mentions,
    )


def recipients_of(
    conn: sa.Connection,
    ch: Channel,
    message: OutboundMessage,
    config: ChannelConfig | None,
) -> list[Target]:
    """Who gets the message, each with the address the channel uses or why not."""
    kind = ch.recipient_kind
    if not kind:
        # Robots: the configured group; webhooks: the URL (the message's, else the config's).
        if ch.key == "webhook":
            url = message.url or (config.settings.get("url") if config else None) or ""
            return [Target(message.url or message.channel, str(url))]
        # Recipients of a robot message are @mentioned by mobile where they have one.
        phones = [
            resolve(conn, "phone", message.channel, str(r))
            for r in dict.fromkeys(message.recipients)
        ]
        mentions = tuple(t.address for t in phones if t.error is None)
        return [Target(message.channel, message.channel, mentions=mentions)]
    out: list[Target] = []
    for r in dict.fromkeys(message.recipients):  # each once, in order
        out.append(resolve(conn, kind, message.channel, str(r)))
    return out


def outcome(
    message: OutboundMessage,
    deliveries: list[Delivery],
    errors: list[ChannelError],
    ids: Sequence[int] = (),
) -> list[Delivery]:
    """``deliveries`` when nothing failed; else raises the one error (several: one
    ``ChannelError`` naming them all, retryable when one is), carrying the deliveries made
    and every delivery row of the message (``ids``)."""
    if not errors:
        return deliveries
    if len(errors) == 1:
        error = errors[0]
    else:
        error = ChannelError(
            "; ".join(str(e) for e in errors),
            any(e.retryable for e in errors),
            channel=message.channel,
        )
    error.errors = errors  # type: ignore[attr-defined]
    error.deliveries = deliveries  # type: ignore[attr-defined]
    #: Every delivery row of the message (sent or not): they retry on their own.
    error.delivery_ids = list(ids)  # type: ignore[attr-defined]
    raise error
