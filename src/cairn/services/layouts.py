"""A table's form layout: read it (the table's own and the one forms show) and replace it."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Entry, Principal
from cairn.meta.layouts import check_layout, layout_effective, layout_public
from cairn.services.shown import listed_or_403, unlisted
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import TableSchema, system

if TYPE_CHECKING:
    from cairn.services.context import Services


class LayoutService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def get_layout(
        self, app_key: str, table_key: str, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app_key, table_key)
            return _layout_reply(s, unlisted(uow, s, listed_or_403(uow, s)))

    def set_layout(
        self, principal: Principal, app_key: str, table_key: str, raw: Any
    ) -> dict[str, Any]:
        """Replace a table's form layout (None or no sections: back to the default)."""
        with unit_of_work(self.s, principal=principal) as uow:
            s = self.set_layout_in(uow, app_key, table_key, raw)
            uow.audit(
                Entry(
                    "table.layout",
                    "table",
                    s.id,
                    app_id=s.table.app_id,
                    table_id=s.id,
                    details={"layout": layout_public(s)},
                )
            )
            return _layout_reply(s)

    def set_layout_in(
        self, uow: UnitOfWork, app_key: str, table_key: str, raw: Any, loc: str = ""
    ) -> TableSchema:
        s = uow.catalog.table(app_key, table_key)
        stored = check_layout(s, raw, loc)
        uow.update_definitions(system.tables, s.id, layout=stored, updated_at=uow.now)
        return uow.catalog.schema(s.id)


def _layout_reply(s: TableSchema, hidden: Collection[int] = frozenset()) -> dict[str, Any]:
    return {"layout": layout_public(s, hidden), "effective": layout_effective(s, hidden)}
