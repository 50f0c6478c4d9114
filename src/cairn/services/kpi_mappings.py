"""KPI mappings of an app (指标映射): which table and fields each KPI of the library reads
there. Listed to everyone who uses the app; set and removed by its managers; carried in app
packages. Widgets, alerts and KPI computations that name no table use them
(``reports/kpi_mappings.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Principal
from cairn.core import Invalid, NotFound
from cairn.reports.kpi_mappings import effective_params
from cairn.reports.widget_check import check_kpi
from cairn.services.reports import scope_of
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import kpi_mappings as store

if TYPE_CHECKING:
    from cairn.services.context import Services


def _public(row: Any) -> dict[str, Any]:
    return {
        "kpi": row["kpi"],
        "params": row["params"],
        "updated_at": row["updated_at"].isoformat(timespec="seconds") + "Z",
    }


class KpiMappingService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def list(self, app: str, principal: Principal = SYSTEM) -> list[dict[str, Any]]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            a = uow.catalog.app(app)
            return [_public(r) for r in store.list_for(uow.conn, a.id)]

    def put(self, app: str, kpi: str, params: Any, principal: Principal = SYSTEM) -> dict[str, Any]:
        """Map ``kpi`` in the app: its parameters are checked as the caller (tables and fields
        they may read, of the types the KPI takes)."""
        with unit_of_work(self.s, principal=principal) as uow:
            a = uow.catalog.app(app)
            self.put_in(uow, app, kpi, params)
            row = store.get(uow.conn, a.id, kpi)
            return _public(row)

    def put_in(self, uow: UnitOfWork, app: str, kpi: str, params: Any) -> None:
        if kpi not in self.s.kpis:
            raise Invalid.on("kpi", "report.kpi_unknown", kpi=kpi)
        if not isinstance(params, dict):
            raise Invalid.on("params", "invalid.object")
        a = uow.catalog.app(app)
        scope = scope_of(uow)
        reports = self.s.reports
        run = check_kpi(
            self.s.kpis.get(kpi),
            params,
            lambda table: reports.builder(uow, app, table, scope),
            self.s.clock,
            uow.catalog.ctx.timezone,
        )
        stored = run.params.model_dump(mode="json", exclude_unset=True)
        store.put(uow.conn, a.id, kpi, stored, uow.now)

    def delete(self, app: str, kpi: str, principal: Principal = SYSTEM) -> None:
        with unit_of_work(self.s, principal=principal) as uow:
            a = uow.catalog.app(app)
            if not store.delete(uow.conn, a.id, kpi):
                raise NotFound("report.kpi_mapping_not_found", kpi=kpi)

    @staticmethod
    def params_in(uow: UnitOfWork, app: str, kpi: str, params: dict[str, Any]) -> dict[str, Any]:
        """The parameters ``kpi`` runs with in the app (the mapping under those given)."""
        return effective_params(uow.conn, uow.catalog.app(app).id, kpi, params)

    # -- app packages ------------------------------------------------------------------------
    def export_in(self, uow: UnitOfWork, app: str) -> list[dict[str, Any]]:
        a = uow.catalog.app(app)
        return [{"kpi": r["kpi"], "params": r["params"]} for r in store.list_for(uow.conn, a.id)]

    def import_in(self, uow: UnitOfWork, app: str, items: Any) -> None:
        if not isinstance(items, list):
            raise Invalid.on("kpi_mappings", "package.shape", detail="kpi_mappings must be a list")
        for i, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("kpi"), str):
                raise Invalid.on(
                    f"kpi_mappings.{i}", "package.shape", detail="a mapping has a kpi and params"
                )
            try:
                self.put_in(uow, app, item["kpi"], item.get("params"))
            except Invalid as e:
                raise e.under(f"kpi_mappings.{i}") from None
