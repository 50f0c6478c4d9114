"""Sending notifications: the one entry point the engines use (through their ports) to reach
people — the in-app centre, e-mail, SMS, WeCom and DingTalk robots and outbound webhooks.

The sending itself (recipients, deliveries, idempotency, failures) is the integration
package's ``Sender`` (``integrations/sending.py``); this service wires it to the units of work
and the stored channel configs, and keeps the template helpers the engines check with."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from cairn.integrations import ChannelError, Delivery, templates
from cairn.integrations.outbound import OutboundMessage
from cairn.integrations.retries import RetryPolicy
from cairn.integrations.sending import Sender
from cairn.services.integration_ports import StoredConfigs, UnitsOfWork
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


class NotifyService:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.sender = Sender(
            services.channels,
            UnitsOfWork(services),
            StoredConfigs(services),
            RetryPolicy(max_attempts=services.settings.delivery_max_attempts),
        )

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
        self.sender.channel(channel)

    def channel_kinds(self) -> list[str]:
        return self.s.channels.keys()

    # -- sending -------------------------------------------------------------------------------
    def send(self, message: OutboundMessage) -> list[Delivery]:
        """Send (or, replayed, skip) one delivery per recipient (``Sender.send``)."""
        return self.sender.send(message)

    def send_in(self, uow: UnitOfWork, message: OutboundMessage) -> list[Delivery]:
        """In-app notifications in the caller's transaction (they commit with its change).
        Outside channels are refused here: they must not run inside a transaction."""
        return self.sender.send_in(uow, message)

    def send_in_many(
        self, uow: UnitOfWork, groups: Sequence[Sequence[OutboundMessage]]
    ) -> list[list[list[Delivery]] | Exception]:
        """``send_in`` for many in-app messages at once (``Sender.send_in_many``)."""
        return self.sender.send_in_many(uow, groups)

    def preview(self, message: OutboundMessage) -> dict[str, Any]:
        """What ``send`` would do; sends and records nothing."""
        return self.sender.preview(message)

    def purge(self, keep_days: int = 90) -> dict[str, int]:
        """Forget read notifications and sent deliveries older than ``keep_days`` (for a
        periodic job); unread notifications and deliveries not sent stay."""
        with unit_of_work(self.s) as uow:
            return store.purge(uow.conn, uow.now - timedelta(days=keep_days))
