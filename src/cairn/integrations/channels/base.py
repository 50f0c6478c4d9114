"""The contract of a notification channel: one class per channel, found by its key.

A channel sends one rendered message to one recipient (an e-mail address, a phone number) or
to its one target (a robot webhook, an outbound webhook) and says how it went: a ``Delivery``,
or a ``ChannelError`` that tells whether trying again later may help (``retryable``: a time-out,
a 5xx, a refused connection) or not (a 4xx, a wrong secret, an unknown recipient)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict

from cairn.core import CairnError, Clock, Message, TypeDef
from cairn.integrations.channels import checks


class ChannelError(CairnError):
    """Sending failed. ``detail`` is the reason (for the run log); ``retryable`` says whether a
    later attempt may succeed."""

    status = 502
    code = "channel_failed"

    def __init__(
        self,
        detail: str,
        retryable: bool,
        *,
        channel: str | None = None,
        recipient: str | None = None,
        response: str | None = None,
    ) -> None:
        super().__init__(
            Message("channel.failed", {"channel": channel or "?", "detail": detail[:500]})
        )
        self.detail = detail
        self.retryable = retryable
        self.channel = channel
        self.recipient = recipient
        #: What the other side answered, when it did ("HTTP 503" and the body, truncated).
        self.response: str | None = response

    def __str__(self) -> str:
        who = f" ({self.recipient})" if self.recipient else ""
        return f"{self.channel or 'channel'}{who}: {self.detail}"


@dataclass(frozen=True)
class Delivery:
    """One message that reached (or, replayed, had already reached) one recipient."""

    channel: str
    recipient: str
    status: str = "sent"
    #: True when the idempotency key had been used: nothing was sent this time.
    replayed: bool = False
    #: What the other side answered (status code, message id, notification id ...).
    detail: Mapping[str, Any] = field(default_factory=dict)
    #: The provider's answer as text (status line and body, truncated), for the record.
    response: str | None = None


@dataclass(frozen=True)
class ChannelMessage:
    """A rendered message for one recipient of one channel."""

    recipient: str = ""
    subject: str = ""
    body: str = ""
    link: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    url: str | None = None
    idempotency_key: str | None = None
    #: Robots: mobile numbers to @mention besides the configured ones.
    mentions: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChannelConfig:
    """A channel's settings as stored (secrets already decrypted) under its key."""

    key: str
    kind: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    enabled: bool = True
    name: str = ""


@dataclass
class ChannelEnv:
    """What channels need from outside: the HTTP transport (a local receiver or
    ``httpx.MockTransport`` in tests), the clock, and the SMTP defaults (``CAIRN_SMTP_*``)."""

    clock: Clock
    transport: httpx.BaseTransport | None = None
    smtp_defaults: Mapping[str, Any] = field(default_factory=dict)
    #: Refuse HTTP targets on loopback, private and link-local addresses.
    block_private: bool = False
    _client: httpx.Client | None = field(default=None, init=False, repr=False)
    _client_transport: httpx.BaseTransport | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def http(self) -> httpx.Client:
        """One pooled client per environment (making one costs ~50 ms: its TLS context);
        callers pass the time-out per request. Redirects are not followed."""
        with self._lock:
            if self._client is None or self._client_transport is not self.transport:
                if self._client is not None:
                    self._client.close()
                # trust_env=False: no proxy or .netrc from the environment redirects a message.
                self._client = httpx.Client(transport=self.transport, trust_env=False)
                self._client_transport = self.transport
            return self._client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


class ChannelSettings(BaseModel):
    """Base of each channel's settings model (validated when an admin saves a config)."""

    model_config = ConfigDict(extra="forbid")


class Channel(TypeDef):
    """A way to reach people. Subclasses set ``key``, ``settings_model``, ``secret_fields``
    (encrypted at rest, masked in replies) and ``recipient_kind``, and implement ``send``."""

    key: ClassVar[str] = ""
    settings_model: ClassVar[type[ChannelSettings]] = ChannelSettings
    #: Settings encrypted at rest and never returned in clear.
    secret_fields: ClassVar[tuple[str, ...]] = ()
    #: What a recipient is: "user" (a user id), "email", "phone", or "" (the channel's own
    #: target: a robot or a webhook URL; the message has no recipients).
    recipient_kind: ClassVar[str] = ""
    #: Whether the channel works without a stored config (from defaults or the message alone).
    config_optional: ClassVar[bool] = False
    #: What the channel is, in English (the UI translates by ``key``).
    title: ClassVar[str] = ""

    def __init__(self, env: ChannelEnv) -> None:
        self.env = env

    def settings(self, config: ChannelConfig) -> Any:
        """The config's settings parsed by the channel's model (a clear error when unusable)."""
        try:
            return self.settings_model.model_validate(dict(config.settings))
        except ValueError as e:
            raise ChannelError(
                f"the settings of '{config.key}' are not usable: {e}", False, channel=config.key
            ) from None

    def check_settings(self, s: Any) -> dict[str, Message]:
        """Problems of settings an administrator saves (``s``: parsed by ``settings_model``),
        by setting name, beyond what the model's types catch. The base checks a ``url`` (an
        http(s) address) and ``headers`` (valid names); channels add their own."""
        out: dict[str, Message] = {}
        u = getattr(s, "url", None)
        if isinstance(u, str) and u and (m := checks.url(u)) is not None:
            out["url"] = m
        h = getattr(s, "headers", None)
        if isinstance(h, dict) and (m := checks.header_names(list(h))) is not None:
            out["headers"] = m
        return out

    def send(self, message: ChannelMessage, config: ChannelConfig) -> Delivery:
        raise NotImplementedError

    def fail(
        self,
        config: ChannelConfig,
        detail: str,
        retryable: bool,
        to: str = "",
        response: str | None = None,
    ) -> ChannelError:
        return ChannelError(
            detail, retryable, channel=config.key, recipient=to or None, response=response
        )
