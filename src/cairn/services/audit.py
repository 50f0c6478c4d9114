"""Reading and verifying the audit log (admins only); there is no use case to change it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from cairn.auth import Principal, audit, require_admin
from cairn.auth.audit import Verification, naive_utc
from cairn.core import Invalid, id_from_text
from cairn.services.uow import unit_of_work

if TYPE_CHECKING:
    from cairn.services.context import Services


class AuditService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def search(
        self,
        principal: Principal,
        *,
        actor: int | None = None,
        action: str | None = None,
        target_type: str | None = None,
        target_id: str | None = None,
        app: str | None = None,
        table: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> dict[str, Any]:
        require_admin(principal)
        before_id = None
        if cursor:
            before_id = id_from_text(cursor)
            if before_id is None:
                raise Invalid.on("cursor", "cursor.invalid")
        with unit_of_work(self.s, write=False) as uow:
            table_id = uow.catalog.table(app, table).id if app and table else None
            rows, total = audit.search(
                uow.conn,
                actor_id=actor,
                action=action,
                target_type=target_type,
                target_id=target_id,
                table_id=table_id,
                since=naive_utc(since),
                until=naive_utc(until),
                before_id=before_id,
                limit=limit,
            )
            more = len(rows) > limit
            rows = rows[:limit]
            items = audit.with_names(uow.conn, uow.catalog, [audit.public(r) for r in rows])
        return {
            "items": items,
            "next_cursor": str(rows[-1].id) if more else None,
            "total": total,
        }

    def verify(self) -> Verification:
        with unit_of_work(self.s, write=False) as uow:
            return audit.verify(uow.conn)
