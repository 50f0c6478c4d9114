"""Sending notifications through the channels — the in-app centre, e-mail, SMS, WeCom and
DingTalk robots and outbound webhooks.

``send`` resolves recipients ("user:12" → the user's e-mail, phone or notification row), sends
one delivery per recipient and records each in ``deliveries`` (in-app: ``notifications``), with
what is needed to send it again and every attempt. With an ``idempotency_key`` a replay sends
nothing twice: per (key, channel, recipient) a delivery that went out is reported as
``replayed`` instead. A failure is recorded first and then raised as one ``ChannelError``
whose ``retryable`` says whether a later attempt may help; the other recipients' deliveries are
still made (``error.deliveries``; ``error.delivery_ids`` names every delivery row).

Retries belong to the delivery: a retryable failure is ``retrying`` with its next attempt
scheduled (``retries.RetryPolicy``), run by the worker (``redelivery.retry_due``) with the same
idempotency key. A caller that sends the same key again before (the process engine's service
tasks and alerts keep their own retries) makes one more attempt of the same delivery: whichever
gets it through first, the other finds it sent and sends nothing. Spent or final: ``dead`` (an
administrator may replay it).

Outside channels are called outside any database transaction (a slow SMTP server must not hold
locks); in-app rows are written in a short transaction of their own, or in the caller's with
``send_in``. Transactions and stored configs come through ``ports.py``."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
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
from cairn.integrations.outbound import (
    Attempt,
    OutboundMessage,
    channel_message,
    outcome,
    payload_of,
    recipients_of,
)
from cairn.integrations.ports import ChannelConfigs, Transactions, Work
from cairn.integrations.recipients import Target, delivery_key, labelled, resolve
from cairn.integrations.retries import RetryPolicy
from cairn.store import deliveries as dstore
from cairn.store import notifications as store


class Sender:
    def __init__(
        self,
        channels: ChannelRegistry,
        transactions: Transactions,
        configs: ChannelConfigs,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.channels = channels
        self.tx = transactions
        self.configs = configs
        self.policy = policy or RetryPolicy()

    # -- sending -------------------------------------------------------------------------------
    def send(self, message: OutboundMessage) -> list[Delivery]:
        """Send (or, replayed, skip) one delivery per recipient; see the module docstring."""
        ch = self.channel(message.channel)
        if isinstance(ch, InAppChannel):
            with self.tx.unit() as work:
                deliveries, errors = self._inapp(work, ch, message)
            return outcome(message, deliveries, errors)
        return self._send_outside(ch, message)

    def send_in(self, work: Work, message: OutboundMessage) -> list[Delivery]:
        """In-app notifications in the caller's transaction (they commit with its change).
        Outside channels are refused here: they must not run inside a transaction."""
        ch = self.channel(message.channel)
        if not isinstance(ch, InAppChannel):
            raise Invalid.on("channel", "notify.inapp_only", channel=message.channel)
        deliveries, errors = self._inapp(work, ch, message)
        return outcome(message, deliveries, errors)

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
                channel_message(message, t, ch.key),
                app_id=message.app_id,
                table_id=message.table_id,
                record_id=message.record_id,
            )
            out.append((t, values))
        if errors:
            outcome(message, [], errors)  # raises
        return out

    def preview(self, message: OutboundMessage) -> dict[str, Any]:
        """What ``send`` would do: the channel, the resolved recipients (with the reason when
        one cannot be reached) and the content. Sends and records nothing."""
        ch = self.channel(message.channel)
        with self.tx.unit(write=False) as work:
            config = self.config(work.conn, ch, message.channel)
            targets = recipients_of(work.conn, ch, message, config)
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
        for t in recipients_of(work.conn, ch, message, None):
            if t.error is not None:
                errors.append(t.error)
                continue
            cm = channel_message(message, t, ch.key)
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
            targets = recipients_of(work.conn, ch, message, config)
        usable = config or ChannelConfig(message.channel, ch.key)
        deliveries: list[Delivery] = []
        errors: list[ChannelError] = []
        ids: list[int] = []
        for t in targets:
            key = delivery_key(message.idempotency_key, message.channel, t.label)
            with self.tx.unit() as work:
                row_id, earlier = dstore.start(
                    work.conn,
                    work.now,
                    channel=message.channel,
                    kind=ch.key,
                    recipient=t.label,
                    subject=message.subject,
                    payload=payload_of(message, t),
                    idempotency_key=key,
                    rule_id=message.rule_id,
                    run_id=message.run_id,
                    app_id=message.app_id,
                    table_id=message.table_id,
                    record_id=message.record_id,
                )
            ids.append(row_id)
            if earlier is not None and earlier["status"] == dstore.SENT:
                detail = {"address": t.address, "delivery_id": row_id}
                deliveries.append(Delivery(ch.key, t.label, replayed=True, detail=detail))
                continue
            problem = self.unusable(ch, config, message.channel, t.label) or t.error
            cm = channel_message(message, t, ch.key, row_id)
            done = self.attempt(ch, usable, cm, row_id, problem, retry=message.retry)
            if done.error is not None:
                errors.append(done.error)
            else:
                assert done.delivery is not None
                deliveries.append(labelled(done.delivery, t))
        return outcome(message, deliveries, errors, ids)

    def unusable(
        self, ch: Channel, config: ChannelConfig | None, channel: str, recipient: str
    ) -> ChannelError | None:
        """Why a stored config (or its absence) lets nothing through, or None."""
        if config is not None and not config.enabled:
            return ChannelError(
                "the channel is disabled", False, channel=channel, recipient=recipient
            )
        if config is None and not ch.config_optional:
            return ChannelError(
                "the channel is not configured", False, channel=channel, recipient=recipient
            )
        return None

    def attempt(
        self,
        ch: Channel,
        config: ChannelConfig,
        cm: ChannelMessage,
        delivery_id: int,
        problem: ChannelError | None = None,
        replay_by: int | None = None,
        *,
        retry: bool = True,
    ) -> Attempt:
        """Send ``cm`` once (unless ``problem`` says it cannot go) and record the attempt:
        sent, or failed with the status the retry policy gives (outside any transaction while
        the channel works)."""
        t0 = time.perf_counter()
        delivery: Delivery | None = None
        error = problem
        if error is None:
            try:
                delivery = ch.send(cm, config)
            except ChannelError as e:
                error = e
        ms = (time.perf_counter() - t0) * 1000
        with self.tx.unit() as work:
            if error is None:
                assert delivery is not None
                dstore.record(
                    work.conn,
                    delivery_id,
                    work.now,
                    status=dstore.SENT,
                    error=None,
                    response=delivery.response,
                    ms=ms,
                    replay_by=replay_by,
                )
                detail = {**delivery.detail, "delivery_id": delivery_id}
                return Attempt(delivery_id, dstore.SENT, replace(delivery, detail=detail))
            made = dstore.attempts_of(work.conn, delivery_id) + 1
            retryable = error.retryable and retry
            status, next_at = self.policy.after_failure(made, retryable, work.now)
            dstore.record(
                work.conn,
                delivery_id,
                work.now,
                status=status,
                error=str(error),
                response=error.response,
                ms=ms,
                next_attempt_at=next_at,
                replay_by=replay_by,
            )
        return Attempt(delivery_id, status, error=error)

    def channel(self, channel: str) -> Channel:
        kind = channel.partition(":")[0] if isinstance(channel, str) else ""
        if kind not in self.channels:
            raise Invalid.on("channel", "notify.channel_unknown", channel=str(channel))
        return self.channels.get(kind)

    def config(self, conn: sa.Connection, ch: Channel, key: str) -> ChannelConfig | None:
        if isinstance(ch, InAppChannel):
            return None
        return self.configs.load(conn, key)
