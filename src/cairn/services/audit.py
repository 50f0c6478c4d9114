"""Reading and verifying the audit log (admins only); there is no use case to change it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from cairn.auth import Principal, audit
from cairn.auth.audit import Verification
from cairn.core import Invalid, id_from_text
from cairn.services.directory import require_admin
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import records as store_records

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
                since=_naive(since),
                until=_naive(until),
                before_id=before_id,
                limit=limit,
            )
            more = len(rows) > limit
            rows = rows[:limit]
            items = _named(uow, [audit.public(r) for r in rows])
        return {
            "items": items,
            "next_cursor": str(rows[-1].id) if more else None,
            "total": total,
        }

    def verify(self) -> Verification:
        with unit_of_work(self.s, write=False) as uow:
            return audit.verify(uow.conn)


def _named(uow: UnitOfWork, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each entry with the names a reader needs: ``app_name``, ``table_name`` (also of a
    deleted app or table) and ``target_title``, the title of a record it names (also of a
    deleted one; None once purged or without a display field). Titles are read set-based: one
    query per table on the page."""
    cat = uow.catalog
    wanted: dict[int, set[int]] = {}
    for e in items:
        record_id = _record_id(e)
        if record_id is not None:
            wanted.setdefault(e["table_id"], set()).add(record_id)
    titles = {
        table_id: store_records.titles(uow.conn, cat.schemas[table_id], ids)
        for table_id, ids in wanted.items()
        if table_id in cat.schemas
    }
    for e in items:
        app = cat.apps.get(e["app_id"]) if e["app_id"] is not None else None
        table = cat.all_tables.get(e["table_id"]) if e["table_id"] is not None else None
        record_id = _record_id(e)
        e["app_name"] = app.name if app else None
        e["table_name"] = table.name if table else None
        e["target_title"] = (
            titles.get(e["table_id"], {}).get(record_id) if record_id is not None else None
        )
    return items


def _record_id(e: dict[str, Any]) -> int | None:
    target = e["target_id"]
    if e["target_type"] == "record" and e["table_id"] is not None and target and target.isdigit():
        return int(target)
    return None


def _naive(value: datetime | None) -> datetime | None:
    from datetime import UTC

    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)
