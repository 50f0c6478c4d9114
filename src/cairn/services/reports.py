"""Reports: ad-hoc datasets, pivots, drill-downs and KPIs over an app's tables.

Every call runs for a principal: each table a report reads must be readable by them, only
the rows in their read scope count, and fields hidden or masked from them are unknown (a
count or sum over a masked phone column would show nothing, but grouping by it would show
the values). Through a relation only a table they read in full can be looked into.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from cairn.auth import SYSTEM, Entry, Principal
from cairn.auth.guard import Guard, guard
from cairn.core import Invalid
from cairn.core.i18n import DEFAULT_LANGUAGE
from cairn.reports import (
    EVERYTHING,
    DatasetBuilder,
    DatasetSpec,
    Scope,
    parse_model,
    pivot,
    run_kpi,
)
from cairn.reports.cache import cache_run
from cairn.reports.dataset_cache import dataset_reply
from cairn.reports.export import MEDIA_TYPES, from_dataset, from_pivot, render
from cairn.reports.kpi_mappings import effective_params, names_table
from cairn.reports.kpi_texts import kpi_text
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import TableSchema

if TYPE_CHECKING:
    from cairn.services.context import Services


class _Everything(Collection[str]):
    """Every key: a linked table the caller may not read in full shows nothing through it."""

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(())

    def __len__(self) -> int:
        return 1


@dataclass(frozen=True)
class GuardScope(Scope):
    """The report engine's ``Scope`` answered by the permission layer for one unit of work."""

    g: Guard | None = None
    action: str = "read"

    @property
    def guard(self) -> Guard:
        assert self.g is not None
        return self.g

    def where_for(self, schema: TableSchema) -> sa.ColumnElement[bool] | None:
        self.guard.require(schema, self.action)
        return self.guard.row_where(schema, "read")

    def hidden_for(self, schema: TableSchema) -> Collection[str]:
        self.guard.require(schema, self.action)
        hidden, masked = self.guard.view(schema)
        return {schema.by_id[i].key for i in hidden | masked if i in schema.by_id}

    def masked_for(self, schema: TableSchema) -> Collection[str]:
        _hidden, masked = self.guard.view(schema)
        return {schema.by_id[i].key for i in masked if i in schema.by_id}

    def related_hidden_for(self, schema: TableSchema) -> Collection[str]:
        if not self.guard.reads_all(schema):
            return _Everything()
        hidden, masked = self.guard.view(schema)
        return {schema.by_id[i].key for i in hidden | masked if i in schema.by_id}

    def check_formula(self, schema: TableSchema, text: str, loc: str) -> None:
        self.guard.check_formula(schema, text, loc)


def scope_of(uow: UnitOfWork, action: str = "read") -> Scope:
    """What ``uow``'s principal may see in reports (``action``: read, or export for files)."""
    g = guard(uow)
    if g.unrestricted:
        return EVERYTHING
    return GuardScope(g=g, action=action)


class ReportService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def builder(
        self, uow: UnitOfWork, app: str, table: str, scope: Scope | None = None
    ) -> DatasetBuilder:
        schema = uow.catalog.table(app, table)
        scope = scope if scope is not None else scope_of(uow)
        return DatasetBuilder(
            uow.catalog,
            schema,
            self.s.clock,
            uow.conn.dialect.name,
            self.s.aggregations,
            scope,
        )

    def noted(self, version: int, builder: DatasetBuilder) -> None:
        """Tell the index advisor what a dataset grouped by (after the transaction: building
        an index must not hold it open)."""
        self.s.indexes.note(version, builder.schema.id, builder.grouped, "group")

    def dataset(self, app: str, spec: Any, principal: Principal = SYSTEM) -> dict[str, Any]:
        """Rows of a dataset query; with ``columns``, the pivot table (``dataset_reply``:
        from the result cache while the data is unchanged)."""
        ds = parse_model(DatasetSpec, spec)
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            builder = self.builder(uow, app, ds.table)
            cat, version = uow.catalog, uow.catalog.version
            run = cache_run(self.s.report_cache, uow.conn, cat, cat.app(app).id, self.s.clock)
            reply = dataset_reply(uow, run, builder, app, ds, self.s.plans)
        if run.misses:
            self.noted(version, builder)
        return reply

    def drill(
        self,
        app: str,
        spec: Any,
        keys: list[Any],
        measure: str | None = None,
        principal: Principal = SYSTEM,
    ) -> dict[str, Any]:
        """The filter of the records behind one cell, for the records API."""
        ds = parse_model(DatasetSpec, spec)
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            tree = self.builder(uow, app, ds.table).drill(uow.conn, ds, keys, measure)
        return {"table": ds.table, "filter": tree}

    def kpis(self, language: str = DEFAULT_LANGUAGE) -> list[dict[str, Any]]:
        """The KPI library: key, title and definition in ``language`` (plain words), unit,
        description (for developers) and parameters (JSON schema)."""
        return [
            {
                "key": k.key,
                "title": kpi_text(k.key, "title", language),
                "definition": kpi_text(k.key, "definition", language),
                "unit": k.unit,
                "description": (type(k).__doc__ or "").strip(),
                "params": k.Params.model_json_schema(),
            }
            for k in self.s.kpis
        ]

    def kpi(self, app: str, key: str, params: Any, principal: Principal = SYSTEM) -> dict[str, Any]:
        """One KPI over the period in ``params`` (and the one before it), split if asked;
        without a ``table``, over the app's mapping of the KPI."""
        if key not in self.s.kpis:
            raise Invalid.on("kpi", "report.kpi_unknown", kpi=key)
        kpi = self.s.kpis.get(key)
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            if isinstance(params, dict) and not names_table(params):
                params = effective_params(uow.conn, uow.catalog.app(app).id, key, params)
            return run_kpi(
                kpi,
                params,
                lambda table: self.builder(uow, app, table),
                uow.conn,
                self.s.clock,
                uow.catalog.ctx.timezone,
            )

    def export(
        self, app: str, spec: Any, fmt: str, principal: Principal = SYSTEM
    ) -> tuple[bytes, str]:
        """A dataset (or pivot) as an XLSX or CSV file: (content, file name)."""
        if fmt not in MEDIA_TYPES:
            raise Invalid.on("format", "report.export_format")
        ds = parse_model(DatasetSpec, spec)
        with unit_of_work(self.s, principal=principal) as uow:
            builder = self.builder(uow, app, ds.table, scope_of(uow, "export"))
            result = builder.run(uow.conn, ds)
            s = builder.schema
            uow.audit(
                Entry(
                    "report.export",
                    "table",
                    s.id,
                    s.app.id,
                    s.id,
                    {
                        "format": fmt,
                        "rows": len(result.rows),
                        "dataset": ds.model_dump(mode="json"),
                    },
                )
            )
        if ds.columns:
            table = from_pivot(ds.table, pivot(result, len(ds.dimensions)))
        else:
            table = from_dataset(ds.table, result)
        return render(table, fmt), f"{ds.table}.{fmt}"
