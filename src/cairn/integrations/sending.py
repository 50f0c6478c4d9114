"""Sending notifications through the channels — the in-app centre, e-mail, SMS, WeCom and
DingTalk robots and outbound webhooks.

``send`` resolves recipients ("user:12" → the user's e-mail, phone or notification row), sends
one delivery per recipient and records each in ``deliveries`` (in-app: ``notifications``). With
an ``idempotency_key`` a replay sends nothing twice: per (key, channel, recipient) a delivery
that went out is reported as ``replayed`` instead. A failure is recorded first and then raised
as one ``ChannelError`` whose ``retryable`` says whether a later attempt may help; the other
recipients' deliveries are still made (``error.deliveries``).

Outside channels are called outside any database transaction (a slow SMTP server must not hold
locks); in-app rows are written in a short transaction of their own, or in the caller's with
``send_in``. Transactions and stored configs come through ``ports.py``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from cairn.core import Invalid
from cairn.integrations.channels import (
    Channel,
    ChannelConfig,
    ChannelError,
    ChannelMessage,
    ChannelRegistry,
    Delivery,
    InAppChannel,
)
from cairn.integrations.ports import ChannelConfigs, Transactions, Work
from cairn.integrations.recipients import Target, delivery_key, labelled, resolve
from cairn.store import notifications as store


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


class Sender:
    def __init__(
        self, channels: ChannelRegistry, transactions: Transactions, configs: ChannelConfigs
    ) -> None:
        self.channels = channels
        self.tx = transactions
        self.configs = configs

    # -- sending -------------------------------------------------------------------------------
    def send(self, message: OutboundMessage) -> list[Delivery]:
        """Send (or, replayed, skip) one delivery per recipient; see the module docstring."""
        ch = self.channel(message.channel)
        if isinstance(ch, InAppChannel):
            with self.tx.unit() as work:
                deliveries, errors = self._inapp(work, ch, message)
            return self._outcome(message, deliveries, errors)
        return self._send_outside(ch, message)

    def send_in(self, work: Work, message: OutboundMessage) -> list[Delivery]:
        """In-app notifications in the caller's transaction (they commit with its change).
        Outside channels are refused here: they must not run inside a transaction."""
        ch = self.channel(message.channel)
        if not isinstance(ch, InAppChannel):
            raise Invalid.on("channel", "notify.inapp_only", channel=message.channel)
        deliveries, errors = self._inapp(work, ch, message)
        return self._outcome(message, deliveries, errors)

    def send_in_many(
        self, work: Work, groups: Sequence[Sequence[OutboundMessage]]
    ) -> list[list[list[Delivery]] | Exception]:
        """``send_in`` for many in-app messages at once (one look-up per recipient, one
        multi-row insert). Each group succeeds or fails whole: a group with a message that
        ``send_in`` would refuse (not in-app, a recipient it cannot reach) writes nothing and
        gets that error in its place; the others get their deliveries, message by message.
        Every message needs an ``idempotency_key``."""
        targets: dict[tuple[str, str], Target] = {}
        planned: list[list[list[tuple[Target, dict[str, Any]]]] | Exception] = []
        for group in groups:
            try:
                planned.append([self._inapp_rows(work, m, targets) for m in group])
            except Exception as e:
                planned.append(e)
        rows = [
            values for g in planned if not isinstance(g, Exception) for m in g for _, values in m
        ]
        new = store.add_many(work.conn, [{**v, "created_at": work.now} for v in rows])
        replayed = [v["idempotency_key"] for v in rows if v["idempotency_key"] not in new]
        earlier = store.ids_by_keys(work.conn, replayed) if replayed else {}
        out: list[list[list[Delivery]] | Exception] = []
        for g in planned:
            if isinstance(g, Exception):
                out.append(g)
                continue
            out.append(
                [
                    [
                        Delivery(
                            "inapp",
                            t.label,
                            replayed=v["idempotency_key"] not in new,
                            detail={
                                "notification_id": new.get(v["idempotency_key"])
                                or earlier.get(v["idempotency_key"]),
                                "address": t.address,
                            },
                        )
                        for t, v in m
                    ]
                    for m in g
                ]
            )
        return out

    def _inapp_rows(
        self,
        work: Work,
        message: OutboundMessage,
        cache: dict[tuple[str, str], Target],
    ) -> list[tuple[Target, dict[str, Any]]]:
        """What ``_inapp`` would write for ``message``, without writing; raises as ``send_in``
        would when a recipient cannot be reached."""
        ch = self.channel(message.channel)
        if not isinstance(ch, InAppChannel):
            raise Invalid.on("channel", "notify.inapp_only", channel=message.channel)
        if message.idempotency_key is None:
            raise ValueError("send_in_many needs an idempotency key per message")
        out: list[tuple[Target, dict[str, Any]]] = []
        errors: list[ChannelError] = []
        for r in dict.fromkeys(message.recipients):
            t = cache.get((message.channel, str(r)))
            if t is None:
                t = resolve(work.conn, ch.recipient_kind, message.channel, str(r))
                cache[(message.channel, str(r))] = t
            if t.error is not None:
                errors.append(t.error)
                continue
            values = ch.values(
                int(t.address),
                self._for(message, t, ch.key),
                app_id=message.app_id,
                table_id=message.table_id,
                record_id=message.record_id,
            )
            out.append((t, values))
        if errors:
            self._outcome(message, [], errors)  # raises
        return out

    def preview(self, message: OutboundMessage) -> dict[str, Any]:
        """What ``send`` would do: the channel, the resolved recipients (with the reason when
        one cannot be reached) and the content. Sends and records nothing."""
        ch = self.channel(message.channel)
        with self.tx.unit(write=False) as work:
            config = self.config(work.conn, ch, message.channel)
            targets = self._targets(work.conn, ch, message, config)
        problem = None
        if config is not None and not config.enabled:
            problem = "disabled"
        elif config is None and not ch.config_optional:
            problem = "not_configured"
        return {
            "channel": message.channel,
            "kind": ch.key,
            "configured": config is not None,
            "problem": problem,
            "recipients": [
                {
                    "recipient": t.label,
                    "address": t.address or None,
                    "error": t.error.detail if t.error else None,
                    **({"mentions": list(t.mentions)} if t.mentions else {}),
                }
                for t in targets
            ],
            "subject": message.subject,
            "body": message.body,
            "link": message.link,
            "url": message.url,
            "data": message.data,
        }

    # -- inside ----------------------------------------------------------------------------------
    def _inapp(
        self, work: Work, ch: InAppChannel, message: OutboundMessage
    ) -> tuple[list[Delivery], list[ChannelError]]:
        deliveries: list[Delivery] = []
        errors: list[ChannelError] = []
        for t in self._targets(work.conn, ch, message, None):
            if t.error is not None:
                errors.append(t.error)
                continue
            cm = self._for(message, t, ch.key)
            d = ch.write(
                work.conn,
                work.now,
                int(t.address),
                cm,
                app_id=message.app_id,
                table_id=message.table_id,
                record_id=message.record_id,
            )
            deliveries.append(labelled(d, t))
        return deliveries, errors

    # -- outside ---------------------------------------------------------------------------------
    def _send_outside(self, ch: Channel, message: OutboundMessage) -> list[Delivery]:
        with self.tx.unit(write=False) as work:
            config = self.config(work.conn, ch, message.channel)
            targets = self._targets(work.conn, ch, message, config)
        usable = config or ChannelConfig(message.channel, ch.key)
        unusable: ChannelError | None = None
        if config is not None and not config.enabled:
            unusable = ChannelError("the channel is disabled", False, channel=message.channel)
        elif config is None and not ch.config_optional:
            unusable = ChannelError("the channel is not configured", False, channel=message.channel)
        deliveries: list[Delivery] = []
        errors: list[ChannelError] = []
        for t in targets:
            key = delivery_key(message.idempotency_key, message.channel, t.label)
            with self.tx.unit() as work:
                row_id, earlier = store.start_delivery(
                    work.conn,
                    work.now,
                    channel=message.channel,
                    recipient=t.label,
                    idempotency_key=key,
                )
            if earlier is not None and earlier["status"] == "sent":
                deliveries.append(
                    Delivery(ch.key, t.label, replayed=True, detail={"address": t.address})
                )
                continue
            error = unusable or t.error
            delivery: Delivery | None = None
            if error is None:
                try:
                    delivery = ch.send(self._for(message, t, ch.key), usable)
                except ChannelError as e:
                    error = e
            with self.tx.unit() as work:
                store.finish_delivery(
                    work.conn, row_id, work.now, error=str(error) if error is not None else None
                )
            if error is not None:
                errors.append(error)
            else:
                assert delivery is not None
                deliveries.append(labelled(delivery, t))
        return self._outcome(message, deliveries, errors)

    def _outcome(
        self, message: OutboundMessage, deliveries: list[Delivery], errors: list[ChannelError]
    ) -> list[Delivery]:
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
        raise error

    def channel(self, channel: str) -> Channel:
        kind = channel.partition(":")[0] if isinstance(channel, str) else ""
        if kind not in self.channels:
            raise Invalid.on("channel", "notify.channel_unknown", channel=str(channel))
        return self.channels.get(kind)

    def config(self, conn: sa.Connection, ch: Channel, key: str) -> ChannelConfig | None:
        if isinstance(ch, InAppChannel):
            return None
        return self.configs.load(conn, key)

    def _for(self, message: OutboundMessage, t: Target, kind: str) -> ChannelMessage:
        return ChannelMessage(
            recipient=t.address,
            subject=message.subject,
            body=message.body,
            link=message.link,
            data=message.data,
            url=message.url,
            idempotency_key=delivery_key(message.idempotency_key, message.channel, t.label),
            mentions=t.mentions,
        )

    def _targets(
        self,
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
