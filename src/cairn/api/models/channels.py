"""Replies of the notification channels' settings (administrators): the configs, the kinds
of channel, and a test send."""

from __future__ import annotations

from typing import Any

from cairn.api.models.base import Reply
from cairn.api.models.deliveries import TestDelivery


class Channel(Reply):
    key: str
    kind: str
    name: str
    enabled: bool
    #: The kind's settings, secrets masked.
    settings: dict[str, Any]
    secret_fields: list[str]
    created_at: str
    updated_at: str


class ChannelList(Reply):
    items: list[Channel]
    kinds: list[Any]


class ChannelTest(Reply):
    #: Whether every recipient's message went out.
    ok: bool
    deliveries: list[TestDelivery]
