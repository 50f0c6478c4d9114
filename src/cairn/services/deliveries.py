"""Deliveries (administrators): the log of every message and webhook sent through an outside
channel (``integrations/delivery_log.py``); replay one, or every failed one of a channel or
rule (``integrations/redelivery.py``), audit-logged; the counts the admin menu shows. The
worker's retries (``retry_due``) run here too."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from cairn.auth import Entry, Principal, require_admin
from cairn.core import Invalid
from cairn.integrations import delivery_log, redelivery
from cairn.services.uow import unit_of_work

if TYPE_CHECKING:
    from cairn.integrations.sending import Sender
    from cairn.services.context import Services


class DeliveryService:
    def __init__(self, services: Services) -> None:
        self.s = services

    @property
    def sender(self) -> Sender:
        return self.s.notify.sender

    # -- reading ---------------------------------------------------------------------------------
    def list(
        self,
        principal: Principal,
        *,
        status: str | None = None,
        channel: str | None = None,
        rule_id: int | None = None,
        q: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> dict[str, Any]:
        """Deliveries newest first, narrowed by the filters; ``total`` counts every match.
        ``status`` may name several (``retrying,dead``)."""
        require_admin(principal)
        f = delivery_log.narrowed(
            status=status, channel=channel, rule_id=rule_id, q=q, since=since, until=until
        )
        with unit_of_work(self.s, write=False) as uow:
            return delivery_log.page(uow.conn, uow.catalog, f, cursor, limit)

    def get(self, principal: Principal, delivery_id: int) -> dict[str, Any]:
        """One delivery with what it keeps to be sent again and every attempt."""
        require_admin(principal)
        with unit_of_work(self.s, write=False) as uow:
            return delivery_log.detail(uow.conn, uow.catalog, delivery_id)

    def summary(self, principal: Principal) -> dict[str, int]:
        """How many deliveries are dead and how many wait for a retry (the admin menu)."""
        require_admin(principal)
        with unit_of_work(self.s, write=False) as uow:
            return delivery_log.failed_counts(uow.conn)

    # -- replaying -------------------------------------------------------------------------------
    def replay(self, principal: Principal, delivery_id: int) -> dict[str, Any]:
        """One more attempt now, whatever the status, with the same idempotency key; the
        delivery after it."""
        require_admin(principal)
        row, done = redelivery.replay_stored(self.sender, delivery_id, principal.user_id)
        with unit_of_work(self.s, principal=principal) as uow:
            uow.audit(
                Entry(
                    "delivery.replay",
                    "delivery",
                    str(delivery_id),
                    details={"channel": row["channel"], "status": done.status},
                )
            )
            return delivery_log.detail(uow.conn, uow.catalog, delivery_id)

    def replay_all(self, principal: Principal, body: dict[str, Any]) -> dict[str, int]:
        """Replay every ``retrying`` or ``dead`` delivery of a channel and/or a rule (one of
        them at least): how many were replayed, sent and failed again."""
        require_admin(principal)
        channel = body.get("channel")
        rule_id = body.get("rule_id")
        if channel is not None and (not isinstance(channel, str) or not channel):
            raise Invalid.on("channel", "filter.shape")
        if rule_id is not None and (isinstance(rule_id, bool) or not isinstance(rule_id, int)):
            raise Invalid.on("rule_id", "filter.shape")
        if channel is None and rule_id is None:
            raise Invalid.on("channel", "delivery.replay_scope")
        out = redelivery.replay_failed(self.sender, channel, rule_id, principal.user_id)
        with unit_of_work(self.s, principal=principal) as uow:
            uow.audit(
                Entry(
                    "delivery.replay_all",
                    "delivery",
                    channel or f"rule:{rule_id}",
                    details={"channel": channel, "rule_id": rule_id, **out},
                )
            )
        return out

    def retry_due(self, limit: int = 100) -> dict[str, int]:
        """The worker's part: the retries that are due (``redelivery.retry_due``)."""
        return redelivery.retry_due(self.sender, limit)
