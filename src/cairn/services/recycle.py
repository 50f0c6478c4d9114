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

import sqlalchemy as sa

from cairn.auth import SYSTEM, Entry, Principal, manages_table
from cairn.core import Event, Forbidden, Invalid, NotFound
from cairn.core.events import RECORD_PURGED
from cairn.meta.fieldtypes.relations import junction_sides
from cairn.query import decode_cursor, encode_cursor, seek_condition, sort_signature
from cairn.services.guard import guard
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import TableSchema, records, system

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
            t = s.sa_table
            where: list[Any] = [t.c.deleted_at.is_not(None)]
            scope = g.row_where(s, "read")
            if scope is not None:
                where.append(scope)
            total = uow.conn.execute(
                sa.select(sa.func.count()).select_from(t).where(*where)
            ).scalar_one()
            signature = sort_signature(s.id, [("deleted_at", "desc"), ("id", "desc")])
            keys = [(t.c.deleted_at, True), (t.c.id, True)]
            if cursor:
                where.append(seek_condition(keys, decode_cursor(cursor, signature, 2)))
            title = self._title_column(uow, s)
            u = system.users
            rows = uow.conn.execute(
                sa.select(
                    t.c.id,
                    t.c.deleted_at,
                    t.c.updated_by,
                    u.c.display_name,
                    *([title] if title is not None else []),
                )
                .select_from(t.outerjoin(u, u.c.id == t.c.updated_by))
                .where(*where)
                .order_by(t.c.deleted_at.desc(), t.c.id.desc())
                .limit(limit + 1)
            ).all()
            more = len(rows) > limit
            rows = rows[:limit]
            dump = (
                s.dumpers.get(s.display_field.id) if title is not None and s.display_field else None
            )
            items = []
            for r in rows:
                shown = r[4] if title is not None else None
                if shown is not None and dump is not None:
                    shown = dump(shown)
                items.append(
                    {
                        "id": r.id,
                        "title": str(shown) if shown not in (None, "") else f"#{r.id}",
                        "deleted_at": r.deleted_at.isoformat() + "Z",
                        "deleted_by": (
                            {"id": r.updated_by, "name": r.display_name}
                            if r.updated_by is not None
                            else None
                        ),
                    }
                )
            next_cursor = (
                encode_cursor(signature, [rows[-1].deleted_at, rows[-1].id]) if more else None
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

    @staticmethod
    def _title_column(uow: UnitOfWork, s: TableSchema) -> Any:
        """The display field's column when the caller sees it in clear (else titles are #id)."""
        f = s.display_field
        if f is None or f.id in s.sealers or not s.type_of(f).stored:
            return None
        hidden, masked = guard(uow).view(s)
        if f.id in hidden or f.id in masked:
            return None
        return s.column(f)

    def purge(self, app: str, table: str, record_id: int, principal: Principal = SYSTEM) -> None:
        """Delete a record of the recycle bin permanently (table managers only)."""
        with unit_of_work(self.s, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            if not manages_table(uow.conn, uow.principal, s):
                raise Forbidden("auth.forbidden")
            row = records.lock_rows(uow.conn, s, [record_id]).get(record_id)
            if row is None:
                raise NotFound("record.not_found", id=record_id)
            if row.deleted_at is None:
                raise Invalid.on("id", "recycle.not_deleted", key=f"#{record_id}")
            title = None
            column = self._title_column(uow, s)
            if column is not None and s.display_field is not None:
                value = row._mapping[column.name]
                dump = s.dumpers.get(s.display_field.id)
                title = dump(value) if dump and value is not None else value
            for f in s.fields:
                if f.type == "relation":
                    owner = uow.catalog.all_fields[f.options.get("reverse_of") or f.id]
                    j = uow.catalog.junction(owner)
                    mine, _ = junction_sides(f)
                    uow.conn.execute(sa.delete(j).where(j.c[mine] == record_id))
            for log in (system.history, system.record_comments):
                uow.conn.execute(
                    sa.delete(log).where(log.c.table_id == s.id, log.c.record_id == record_id)
                )
            uow.conn.execute(sa.delete(s.sa_table).where(s.sa_table.c.id == record_id))
            details = {"title": title, "deleted_at": row.deleted_at.isoformat() + "Z"}
            uow.audit(Entry("record.purge", "record", record_id, s.app.id, s.id, details))
            uow.emit(Event(RECORD_PURGED, s.app.id, s.id, record_id, {}, uow.actor_id))
