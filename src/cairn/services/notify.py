"""Sending notifications: the one entry point the engines use (through their ports) to reach
people — the in-app centre, e-mail, SMS, WeCom and DingTalk robots and outbound webhooks.

``send`` resolves recipients ("user:12" → the user's e-mail, phone or notification row), sends
one delivery per recipient and records each in ``deliveries`` (in-app: ``notifications``). With
an ``idempotency_key`` a replay sends nothing twice: per (key, channel, recipient) a delivery
that went out is reported as ``replayed`` instead. A failure is recorded first and then raised
as one ``ChannelError`` whose ``retryable`` says whether a later attempt may help; the other
recipients' deliveries are still made (``error.deliveries``).

Outside channels are called outside any database transaction (a slow SMTP server must not hold
locks); in-app rows are written in a short transaction of their own, or in the caller's unit of
work with ``send_in``."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from cairn.auth import users as auth_users
from cairn.core import Invalid, NotFound
from cairn.integrations import (
    Channel,
    ChannelConfig,
    ChannelError,
    ChannelMessage,
    Delivery,
    InAppChannel,
    templates,
)
from cairn.services.channels import load_config
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import notifications as store

if TYPE_CHECKING:
    from cairn.services.context import Services

__all__ = [
    "ChannelError",
    "Delivery",
    "NotifyService",
    "OutboundMessage",
]


@dataclass(frozen=True)
class OutboundMessage:
    #: "inapp" | "email" | "sms" | "wecom" | "dingtalk" | "webhook", or a configured key such
    #: as "wecom:service-group" (the part before ":" is the kind).
    channel: str
    #: "user:12" (resolved per channel), e-mail addresses, phone numbers; empty for robot
    #: channels and webhooks.
    recipients: list[str] = field(default_factory=list)
    subject: str = ""
    #: Already rendered text (``NotifyService.render``).
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


@dataclass(frozen=True)
class _Target:
    label: str  # as given ("user:12", "a@b.cn") or the robot/webhook target
    address: str  # what the channel uses (the e-mail address, the phone, the user id)
    error: ChannelError | None = None
    #: Robots: mobile numbers to @mention (the recipients that have one).
    mentions: tuple[str, ...] = ()


def delivery_key(key: str | None, channel: str, label: str) -> str | None:
    """The stored key of one delivery: the caller's key per channel and recipient."""
    if key is None:
        return None
    full = f"{key}|{channel}|{label}"
    if len(full) <= 255:
        return full
    return "sha256:" + hashlib.sha256(full.encode("utf-8")).hexdigest()


def _labelled(d: Delivery, t: _Target) -> Delivery:
    """The delivery under the recipient as the caller named it; the address in ``detail``."""
    return replace(d, recipient=t.label, detail={**d.detail, "address": t.address})


def _user_ref(recipient: str) -> str | None:
    r = recipient.strip()
    if r.startswith("user:"):
        return r[5:].strip()
    return None


class NotifyService:
    def __init__(self, services: Services) -> None:
        self.s = services

    # -- helpers the rule engine uses at save time and for dry runs ----------------------------
    def render(self, template: str, context: dict[str, Any]) -> str:
        """A sandboxed plain-text template over ``context`` (``Invalid`` on unknown names)."""
        return templates.render(template, context)

    def render_html(self, template: str, context: dict[str, Any]) -> str:
        return templates.render_html(template, context)

    def check_template(self, template: str, known: list[str] | None = None) -> None:
        """Syntax (and, given ``known``, names) of a template; ``Invalid`` when wrong."""
        templates.check(template, known)

    def check_channel(self, channel: str) -> None:
        """``Invalid`` unless ``channel`` names a known kind of channel."""
        self._channel(channel)

    def channel_kinds(self) -> list[str]:
        return self.s.channels.keys()

    # -- sending -------------------------------------------------------------------------------
    def send(self, message: OutboundMessage) -> list[Delivery]:
        """Send (or, replayed, skip) one delivery per recipient; see the module docstring."""
        ch = self._channel(message.channel)
        if isinstance(ch, InAppChannel):
            with unit_of_work(self.s) as uow:
                deliveries, errors = self._inapp(uow, ch, message)
            return self._outcome(message, deliveries, errors)
        return self._send_outside(ch, message)

    def send_in(self, uow: UnitOfWork, message: OutboundMessage) -> list[Delivery]:
        """In-app notifications in the caller's transaction (they commit with its change).
        Outside channels are refused here: they must not run inside a transaction."""
        ch = self._channel(message.channel)
        if not isinstance(ch, InAppChannel):
            raise Invalid.on("channel", "notify.inapp_only", channel=message.channel)
        deliveries, errors = self._inapp(uow, ch, message)
        return self._outcome(message, deliveries, errors)

    def send_in_many(
        self, uow: UnitOfWork, groups: Sequence[Sequence[OutboundMessage]]
    ) -> list[list[list[Delivery]] | Exception]:
        """``send_in`` for many in-app messages at once (one look-up per recipient, one
        multi-row insert). Each group succeeds or fails whole: a group with a message that
        ``send_in`` would refuse (not in-app, a recipient it cannot reach) writes nothing and
        gets that error in its place; the others get their deliveries, message by message.
        Every message needs an ``idempotency_key``."""
        targets: dict[tuple[str, str], _Target] = {}
        planned: list[list[list[tuple[_Target, dict[str, Any]]]] | Exception] = []
        for group in groups:
            try:
                planned.append([self._inapp_rows(uow, m, targets) for m in group])
            except Exception as e:
                planned.append(e)
        rows = [
            values for g in planned if not isinstance(g, Exception) for m in g for _, values in m
        ]
        new = store.add_many(uow.conn, [{**v, "created_at": uow.now} for v in rows])
        replayed = [v["idempotency_key"] for v in rows if v["idempotency_key"] not in new]
        earlier = store.ids_by_keys(uow.conn, replayed) if replayed else {}
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
        uow: UnitOfWork,
        message: OutboundMessage,
        cache: dict[tuple[str, str], _Target],
    ) -> list[tuple[_Target, dict[str, Any]]]:
        """What ``_inapp`` would write for ``message``, without writing; raises as ``send_in``
        would when a recipient cannot be reached."""
        ch = self._channel(message.channel)
        if not isinstance(ch, InAppChannel):
            raise Invalid.on("channel", "notify.inapp_only", channel=message.channel)
        if message.idempotency_key is None:
            raise ValueError("send_in_many needs an idempotency key per message")
        out: list[tuple[_Target, dict[str, Any]]] = []
        errors: list[ChannelError] = []
        for r in dict.fromkeys(message.recipients):
            t = cache.get((message.channel, str(r)))
            if t is None:
                t = self._resolve(uow.conn, ch.recipient_kind, message.channel, str(r))
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
        ch = self._channel(message.channel)
        with unit_of_work(self.s, write=False) as uow:
            config = self._config(uow.conn, ch, message.channel)
            targets = self._targets(uow.conn, ch, message, config)
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

    def purge(self, keep_days: int = 90) -> dict[str, int]:
        """Forget read notifications and sent deliveries older than ``keep_days`` (for a
        periodic job); unread notifications and failed deliveries stay."""
        with unit_of_work(self.s) as uow:
            return store.purge(uow.conn, uow.now - timedelta(days=keep_days))

    # -- inside ----------------------------------------------------------------------------------
    def _inapp(
        self, uow: UnitOfWork, ch: InAppChannel, message: OutboundMessage
    ) -> tuple[list[Delivery], list[ChannelError]]:
        deliveries: list[Delivery] = []
        errors: list[ChannelError] = []
        for t in self._targets(uow.conn, ch, message, None):
            if t.error is not None:
                errors.append(t.error)
                continue
            cm = self._for(message, t, ch.key)
            d = ch.write(
                uow.conn,
                uow.now,
                int(t.address),
                cm,
                app_id=message.app_id,
                table_id=message.table_id,
                record_id=message.record_id,
            )
            deliveries.append(_labelled(d, t))
        return deliveries, errors

    # -- outside ---------------------------------------------------------------------------------
    def _send_outside(self, ch: Channel, message: OutboundMessage) -> list[Delivery]:
        with unit_of_work(self.s, write=False) as uow:
            config = self._config(uow.conn, ch, message.channel)
            targets = self._targets(uow.conn, ch, message, config)
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
            with unit_of_work(self.s) as uow:
                row_id, earlier = store.start_delivery(
                    uow.conn,
                    uow.now,
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
            with unit_of_work(self.s) as uow:
                store.finish_delivery(
                    uow.conn, row_id, uow.now, error=str(error) if error is not None else None
                )
            if error is not None:
                errors.append(error)
            else:
                assert delivery is not None
                deliveries.append(_labelled(delivery, t))
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

    def _channel(self, channel: str) -> Channel:
        kind = channel.partition(":")[0] if isinstance(channel, str) else ""
        if kind not in self.s.channels:
            raise Invalid.on("channel", "notify.channel_unknown", channel=str(channel))
        return self.s.channels.get(kind)

    def _config(self, conn: sa.Connection, ch: Channel, key: str) -> ChannelConfig | None:
        if isinstance(ch, InAppChannel):
            return None
        return load_config(self.s, conn, key)

    def _for(self, message: OutboundMessage, t: _Target, kind: str) -> ChannelMessage:
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
    ) -> list[_Target]:
        """Who gets the message, each with the address the channel uses or why not."""
        kind = ch.recipient_kind
        if not kind:
            # Robots: the configured group; webhooks: the URL (the message's, else the config's).
            if ch.key == "webhook":
                url = message.url or (config.settings.get("url") if config else None) or ""
                return [_Target(message.url or message.channel, str(url))]
            # Recipients of a robot message are @mentioned by mobile where they have one.
            phones = [
                self._resolve(conn, "phone", message.channel, str(r))
                for r in dict.fromkeys(message.recipients)
            ]
            mentions = tuple(t.address for t in phones if t.error is None)
            return [_Target(message.channel, message.channel, mentions=mentions)]
        out: list[_Target] = []
        for r in dict.fromkeys(message.recipients):  # each once, in order
            out.append(self._resolve(conn, kind, message.channel, str(r)))
        return out

    def _resolve(self, conn: sa.Connection, kind: str, channel: str, recipient: str) -> _Target:
        def no(detail: str) -> _Target:
            return _Target(
                recipient, "", ChannelError(detail, False, channel=channel, recipient=recipient)
            )

        ref = _user_ref(recipient)
        if ref is None and kind == "user" and recipient.strip().isdigit():
            ref = recipient.strip()
        if ref is not None:
            try:
                user = auth_users.resolve(conn, ref)
            except NotFound:
                return no("there is no such user")
            if user.status != "active":
                return no("the user is disabled")
            if kind == "user":
                return _Target(recipient, str(user.id))
            if kind == "email":
                return (
                    _Target(recipient, user.email)
                    if user.email
                    else no("the user has no e-mail address")
                )
            if kind == "phone":
                return (
                    _Target(recipient, user.mobile)
                    if user.mobile
                    else no("the user has no mobile number")
                )
        if kind == "user":
            return no("in-app notifications go to users ('user:<id>')")
        if kind == "email" and ("@" not in recipient or " " in recipient.strip()):
            return no("not an e-mail address")
        if (
            kind == "phone"
            and not recipient.strip().lstrip("+").replace(" ", "").replace("-", "").isdigit()
        ):
            return no("not a phone number")
        return _Target(recipient, recipient.strip())
