"""The signed-in user's notification centre: list (newest first), unread count, mark read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import Principal
from cairn.core import Invalid, NotFound, Unauthenticated, id_from_text
from cairn.services.uow import unit_of_work
from cairn.store import notifications as store

if TYPE_CHECKING:
    from cairn.services.context import Services

MAX_LIMIT = 200


def _at(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value is not None else None


def notification_public(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "title": row["title"],
        "body": row["body"],
        "link": row["link"],
        "app_id": row["app_id"],
        "table_id": row["table_id"],
        "record_id": row["record_id"],
        "created_at": _at(row["created_at"]),
        "read_at": _at(row["read_at"]),
        "read": row["read_at"] is not None,
    }


def _user(principal: Principal) -> int:
    if principal.user_id is None:
        raise Unauthenticated("auth.required")
    return principal.user_id


class NotificationService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def list(
        self,
        principal: Principal,
        *,
        unread: bool = False,
        cursor: str | None = None,
        limit: int = 50,
    ) -> dict[str, Any]:
        """A page of the caller's notifications, newest first; ``next_cursor`` continues."""
        user_id = _user(principal)
        if not 1 <= limit <= MAX_LIMIT:
            raise Invalid.on("limit", "value.max", max=MAX_LIMIT)
        before = None
        if cursor:
            before = id_from_text(cursor)
            if before is None:
                raise Invalid.on("cursor", "notify.cursor")
        with unit_of_work(self.s, write=False) as uow:
            rows = store.page(uow.conn, user_id, unread=unread, before=before, limit=limit + 1)
            unread_count = store.unread_count(uow.conn, user_id)
        more = len(rows) > limit
        rows = rows[:limit]
        return {
            "items": [notification_public(r) for r in rows],
            "next_cursor": str(rows[-1]["id"]) if more and rows else None,
            "unread": unread_count,
        }

    def unread_count(self, principal: Principal) -> int:
        user_id = _user(principal)
        with unit_of_work(self.s, write=False) as uow:
            return store.unread_count(uow.conn, user_id)

    def mark_read(self, principal: Principal, notification_id: int) -> dict[str, Any]:
        user_id = _user(principal)
        with unit_of_work(self.s) as uow:
            # Another user's notification is "not found", the same as one that does not exist.
            if store.get(uow.conn, user_id, notification_id) is None:
                raise NotFound("notification.not_found", id=notification_id)
            store.mark_read(uow.conn, user_id, uow.now, notification_id)
            return notification_public(store.get(uow.conn, user_id, notification_id))

    def mark_all_read(self, principal: Principal) -> dict[str, Any]:
        user_id = _user(principal)
        with unit_of_work(self.s) as uow:
            return {"marked": store.mark_read(uow.conn, user_id, uow.now)}
