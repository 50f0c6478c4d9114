"""A table's indexes for administrators (``store.index_report``), and the sweep of unused
automatic indexes the worker runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import Principal, require_admin
from cairn.services.uow import unit_of_work
from cairn.store import index_report

if TYPE_CHECKING:
    from cairn.services.context import Services


class IndexService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def listing(self, app: str, table: str, principal: Principal) -> dict[str, Any]:
        """Which indexes the table has and why, and recent query shapes with the index that
        serves each or why none does: administrators only."""
        require_admin(principal)
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            schema = uow.catalog.table(app, table)
            return index_report.describe(uow.conn, schema, self.s.indexes)

    def sweep(self) -> list[str]:
        """Drop the automatic indexes unused for ``auto_index_unused_days``; their names."""
        return self.s.indexes.sweep()
