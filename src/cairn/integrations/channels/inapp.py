"""The in-app notification centre: a row per user in ``notifications``, written in the
caller's transaction (the notify service does it; nothing leaves the database)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.integrations.channels.base import (
    Channel,
    ChannelConfig,
    ChannelError,
    ChannelMessage,
    Delivery,
)
from cairn.store import notifications


def safe_link(link: str | None) -> str | None:
    """A link the web UI may put in an href: a path in Cairn or an http(s) URL; else none
    (no ``javascript:`` or ``data:`` link can reach a user's notification list)."""
    if not link:
        return None
    link = link.strip()
    if (link.startswith("/") and not link.startswith("//")) or link.lower().startswith(
        ("http://", "https://")
    ):
        return link[:2000]
    return None


class InAppChannel(Channel):
    key = "inapp"
    title = "In-app notification"
    recipient_kind = "user"
    config_optional = True

    @staticmethod
    def values(
        user_id: int,
        message: ChannelMessage,
        *,
        app_id: int | None = None,
        table_id: int | None = None,
        record_id: int | None = None,
    ) -> dict[str, Any]:
        """The notification row of ``message`` for ``user_id`` (``notifications.add``'s
        arguments; ``write`` writes one, the notify service many at once)."""
        return {
            "user_id": user_id,
            "title": message.subject or message.body[:100],
            "body": message.body,
            "link": safe_link(message.link),
            "app_id": app_id,
            "table_id": table_id,
            "record_id": record_id,
            "idempotency_key": message.idempotency_key,
        }

    def write(
        self,
        conn: sa.Connection,
        now: datetime,
        user_id: int,
        message: ChannelMessage,
        *,
        app_id: int | None = None,
        table_id: int | None = None,
        record_id: int | None = None,
    ) -> Delivery:
        new_id = notifications.add(
            conn,
            now,
            **self.values(user_id, message, app_id=app_id, table_id=table_id, record_id=record_id),
        )
        if new_id is None:
            assert message.idempotency_key is not None
            row = notifications.by_key(conn, message.idempotency_key)
            detail = {"notification_id": row["id"] if row else None}
            return Delivery(self.key, f"user:{user_id}", replayed=True, detail=detail)
        return Delivery(self.key, f"user:{user_id}", detail={"notification_id": new_id})

    def send(self, message: ChannelMessage, config: ChannelConfig) -> Delivery:
        raise ChannelError(
            "in-app notifications are written by the notify service", False, channel=self.key
        )
