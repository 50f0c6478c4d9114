"""Reports: ad-hoc datasets, pivots, drill-downs and KPIs over an app's tables.

Every call takes an optional ``scope`` (``cairn.reports.Scope``: a row condition and hidden
fields per table), so permissions can be applied by the caller without touching the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.core import Invalid
from cairn.reports import (
    EVERYTHING,
    DatasetBuilder,
    DatasetSpec,
    Scope,
    parse_model,
    pivot,
    run_kpi,
)
from cairn.reports.export import MEDIA_TYPES, from_dataset, from_pivot, render
from cairn.services.uow import UnitOfWork, unit_of_work

if TYPE_CHECKING:
    from cairn.services.context import Services


class ReportService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def builder(self, uow: UnitOfWork, app: str, table: str, scope: Scope) -> DatasetBuilder:
        schema = uow.catalog.table(app, table)
        return DatasetBuilder(
            uow.catalog,
            schema,
            self.s.clock,
            uow.conn.dialect.name,
            self.s.aggregations,
            scope,
        )

    def dataset(self, app: str, spec: Any, scope: Scope = EVERYTHING) -> dict[str, Any]:
        """Rows of a dataset query; with ``columns``, the pivot table."""
        ds = parse_model(DatasetSpec, spec)
        with unit_of_work(self.s, write=False) as uow:
            result = self.builder(uow, app, ds.table, scope).run(uow.conn, ds)
        if ds.columns:
            return pivot(result, len(ds.dimensions))
        return result.to_json()

    def drill(
        self,
        app: str,
        spec: Any,
        keys: list[Any],
        measure: str | None = None,
        scope: Scope = EVERYTHING,
    ) -> dict[str, Any]:
        """The filter of the records behind one cell, for the records API."""
        ds = parse_model(DatasetSpec, spec)
        with unit_of_work(self.s, write=False) as uow:
            tree = self.builder(uow, app, ds.table, scope).drill(uow.conn, ds, keys, measure)
        return {"table": ds.table, "filter": tree}

    def kpis(self) -> list[dict[str, Any]]:
        """The KPI library: key, unit, description and parameters (JSON schema)."""
        return [
            {
                "key": k.key,
                "unit": k.unit,
                "description": (type(k).__doc__ or "").strip(),
                "params": k.Params.model_json_schema(),
            }
            for k in self.s.kpis
        ]

    def kpi(self, app: str, key: str, params: Any, scope: Scope = EVERYTHING) -> dict[str, Any]:
        """One KPI over the period in ``params`` (and the one before it), split if asked."""
        if key not in self.s.kpis:
            raise Invalid.on("kpi", "report.kpi_unknown", kpi=key)
        kpi = self.s.kpis.get(key)
        with unit_of_work(self.s, write=False) as uow:
            return run_kpi(
                kpi,
                params,
                lambda table: self.builder(uow, app, table, scope),
                uow.conn,
                self.s.clock,
                uow.catalog.ctx.timezone,
            )

    def export(self, app: str, spec: Any, fmt: str, scope: Scope = EVERYTHING) -> tuple[bytes, str]:
        """A dataset (or pivot) as an XLSX or CSV file: (content, file name)."""
        if fmt not in MEDIA_TYPES:
            raise Invalid.on("format", "report.export_format")
        ds = parse_model(DatasetSpec, spec)
        with unit_of_work(self.s, write=False) as uow:
            result = self.builder(uow, app, ds.table, scope).run(uow.conn, ds)
        if ds.columns:
            table = from_pivot(ds.table, pivot(result, len(ds.dimensions)))
        else:
            table = from_dataset(ds.table, result)
        return render(table, fmt), f"{ds.table}.{fmt}"
