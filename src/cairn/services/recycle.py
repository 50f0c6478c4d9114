"""The records' recycle bin of a table: list what was deleted, purge it for good.

Who may do what (restoring is ``RecordService.restore``):
- list: whoever may read the table, and only the deleted records in their read scope;
- restore: whoever may delete the record (the same permission and row scope that put it in
  the bin takes it out again);
- purge (delete permanently, with its links, history and comments): who manages the table
  (app managers, administrators). A purge is audited (``record.purge``) and goes to the outbox
  (``record.purged``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Entry, Principal, manages_table
from cairn.auth.guard import guard
from cairn.core import Event, Forbidden, Invalid, NotFound
from cairn.core.events import RECORD_PURGED
from cairn.query.recycle import deleted_page, title_column, title_of
from cairn.services.subform_rows import refuse_rows_table
from cairn.services.uow import unit_of_work
from cairn.store import records
from cairn.store.merges import refuse_tombstone
from cairn.store.recycle import purge

if TYPE_CHECKING:
    from cairn.services.context import Services

MAX_PAGE = 200


class RecycleBinService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def list(
        self,
        app: str,
        table: str,
        principal: Principal = SYSTEM,
        limit: int = 50,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """Deleted records, last deleted first: id, title, when and by whom; ``total`` and a
        keyset cursor; ``permissions`` says whether the caller may restore and purge."""
        limit = min(max(limit, 1), MAX_PAGE)
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            g = guard(uow)
            g.require(s, "read")
            title = title_column(s, *g.view(s))
            items, next_cursor, total = deleted_page(
                uow.conn, s, g.row_where(s, "read"), title, limit, cursor
            )
            access = g.access(s)
            return {
                "items": items,
                "next_cursor": next_cursor,
                "total": total,
                "permissions": {
                    "restore": access.can("delete"),
                    "purge": manages_table(uow.conn, uow.principal, s, access),
                },
            }

    def purge(self, app: str, table: str, record_id: int, principal: Principal = SYSTEM) -> None:
        """Delete a record of the recycle bin permanently (table managers only)."""
        with unit_of_work(self.s, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            refuse_rows_table(s)
            if not manages_table(uow.conn, uow.principal, s):
                raise Forbidden("auth.forbidden")
            row = records.lock_rows(uow.conn, s, [record_id]).get(record_id)
            if row is None:
                raise NotFound("record.not_found", id=record_id)
            if row.deleted_at is None:
                raise Invalid.on("id", "recycle.not_deleted", key=f"#{record_id}")
            refuse_tombstone(uow.conn, s, record_id)
            column = title_column(s, *guard(uow).view(s))
            title = title_of(s, row._mapping[column.name]) if column is not None else None
            purge(uow.conn, uow.catalog, s, record_id)
            details = {"title": title, "deleted_at": row.deleted_at.isoformat() + "Z"}
            uow.audit(Entry("record.purge", "record", record_id, s.app.id, s.id, details))
            uow.emit(Event(RECORD_PURGED, s.app.id, s.id, record_id, {}, uow.actor_id))
