"""A record's change history, as the principal may see it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Principal, masking
from cairn.auth.guard import guard
from cairn.core import NotFound
from cairn.query.record_history import history_items
from cairn.services.uow import unit_of_work
from cairn.store import records

if TYPE_CHECKING:
    from cairn.services.context import Services


class RecordHistory:
    def __init__(self, services: Services) -> None:
        self.s = services

    def history(
        self,
        app: str,
        table: str,
        record_id: int,
        limit: int = 200,
        principal: Principal = SYSTEM,
    ) -> dict[str, Any]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            g = guard(uow)
            g.require(s, "read")
            created = records.creation(uow.conn, s, record_id)
            if created is None or not g.in_scope(s, [record_id], "read"):
                raise NotFound("record.not_found", id=record_id)
            hidden, masked = g.view(s)
            items = history_items(
                uow.conn,
                uow.catalog,
                s,
                record_id,
                created,
                limit,
                self.s.field_ctx.timezone,
                hidden=hidden,
                masked=masked,
                unrestricted=g.unrestricted,
                mask=masking.mask,
            )
            return {"items": items}
