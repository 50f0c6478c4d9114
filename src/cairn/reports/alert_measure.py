"""The value an alert watches, measured now with the permissions of a principal (its owner:
a department-scoped owner's alert watches the department's figures)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from cairn.auth import SYSTEM, Principal
from cairn.auth import users as auth_users
from cairn.core import Clock, Invalid
from cairn.reports.alerts import AlertSpec, number
from cairn.reports.kpi_mappings import effective_params
from cairn.reports.kpis import KpiRegistry, run_kpi
from cairn.reports.periods import period_filter, resolve_period
from cairn.reports.ports import Datasets, Work


def owner_of(conn: sa.Connection, owner_id: int | None) -> Principal:
    """The principal whose permissions compute the value (None: the system)."""
    if owner_id is None:
        return SYSTEM
    row = auth_users.by_id(conn, owner_id)
    if row is None or row.status != "active":
        raise Invalid.on("owner_id", "alert.owner_gone", id=owner_id)
    return Principal(row.id, row.username, bool(row.is_admin), "alert")


def kpi_params(work: Work, app: str, spec: AlertSpec) -> dict[str, Any]:
    """The parameters of the alert's KPI: its own, over the app's mapping of the KPI when
    they name no table."""
    assert spec.kpi is not None
    app_id = work.catalog.app(app).id
    return dict(effective_params(work.conn, app_id, spec.kpi.key, dict(spec.kpi.params)))


class AlertMeasure:
    def __init__(self, datasets: Datasets, kpis: KpiRegistry, clock: Clock) -> None:
        self.datasets = datasets
        self.kpis = kpis
        self.clock = clock

    def compute(self, work: Work, app: str, spec: AlertSpec) -> dict[str, Any]:
        """The watched value now, as ``work``'s principal sees it: ``value``, ``unit`` and
        ``period`` (a KPI's, or the alert's)."""
        builder = self.datasets.builders(work, app)
        tz = work.catalog.ctx.timezone
        if spec.kpi is not None:
            if spec.kpi.key not in self.kpis:
                raise Invalid.on("kpi.key", "report.kpi_unknown", kpi=spec.kpi.key)
            params = kpi_params(work, app, spec)
            if spec.period is not None:
                params["period"] = spec.period.model_dump(mode="json", exclude_none=True)
            out = run_kpi(self.kpis.get(spec.kpi.key), params, builder, work.conn, self.clock, tz)
            period = out.get("period")
            if period:  # the KPI's end is exclusive; an alert shows the last day included
                last = date.fromisoformat(period["end"]) - timedelta(days=1)
                period = {"start": period["start"], "end": last.isoformat()}
            return {"value": number(out.get("value")), "unit": out.get("unit"), "period": period}
        assert spec.dataset is not None
        ds = spec.dataset
        period = None
        if spec.period is not None:
            start, end = resolve_period(spec.period, self.clock, tz)
            period = {"start": start.isoformat(), "end": (end - timedelta(days=1)).isoformat()}
            tree = [*([ds.filter] if ds.filter else []), period_filter(spec.date_field, start, end)]
            ds = ds.model_copy(update={"filter": {"and": tree}})
        result = builder(ds.table).run(work.conn, ds)
        value = None
        if result.rows and result.rows[0][2]:
            value = number(result.rows[0][2][0])
        return {"value": value, "unit": None, "period": period}
