"""The signed-in user's notification centre: list, unread count, mark read."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from cairn.api.deps import PrincipalDep, ServicesDep
from cairn.api.models.activity import MarkedRead, Notification, NotificationPage, UnreadCount
from cairn.api.schemas import Id

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


@router.get("", response_model=NotificationPage)
def list_notifications(
    services: ServicesDep,
    principal: PrincipalDep,
    unread: bool = Query(False, description="Only the unread ones"),
    cursor: str | None = Query(None, description="next_cursor of the previous page"),
    limit: int = Query(50, ge=1, le=200),
) -> dict[str, Any]:
    """The caller's notifications, newest first (keyset pages of ``limit``)."""
    return services.notifications.list(principal, unread=unread, cursor=cursor, limit=limit)


@router.get("/unread-count", response_model=UnreadCount)
def unread_count(services: ServicesDep, principal: PrincipalDep) -> dict[str, int]:
    return {"unread": services.notifications.unread_count(principal)}


@router.post("/read-all", response_model=MarkedRead)
def read_all(services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    return services.notifications.mark_all_read(principal)


@router.post("/{notification_id}/read", response_model=Notification)
def read_one(notification_id: Id, services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    return services.notifications.mark_read(principal, notification_id)
