"""What every KPI shares: its parameters, one computation (measures per period, the period
before, a split) and the registry's type. The KPIs themselves are in ``kpis`` (service and
the registry of built-ins) and ``kpi_customers`` (satisfaction, churn, lifetime value)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField

from cairn.core import Registry, TypeDef
from cairn.reports.datasets import DatasetBuilder, Measure
from cairn.reports.dimensions import build_dimension, plain
from cairn.reports.periods import PeriodSpec, period_filter, previous_period, resolve_period
from cairn.reports.spec import DimensionSpec, MeasureSpec, parse_model

#: Builds a DatasetBuilder for a table key (the caller's scope applied).
BuilderFor = Callable[[str], DatasetBuilder]
Values = dict[str, Any]


class KpiParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    table: str = PField(min_length=1, max_length=63)
    filter: Any = None
    date_field: str = "created_at"
    period: PeriodSpec | None = None
    split: DimensionSpec | None = None
    compare: bool = True


def ratio(a: Any, b: Any, scale: float = 100.0) -> float | None:
    if a is None or not b:
        return None
    return float(a) / float(b) * scale


def as_float(v: Any) -> float | None:
    return None if v is None else float(v)


@dataclass
class Run:
    """One KPI computation: the builder of its table and the period, if any."""

    builder: BuilderFor
    params: KpiParams
    period: tuple[date, date] | None


class Kpi(TypeDef):
    Params: ClassVar[type[KpiParams]] = KpiParams
    unit: ClassVar[str] = "%"
    #: The base filter includes the period on ``date_field`` (churn handles the period itself).
    period_on_date_field: ClassVar[bool] = True
    description: ClassVar[str] = ""

    def measures(self, b: DatasetBuilder, p: Any, run: Run) -> list[Measure]:
        raise NotImplementedError

    def values(self, m: Mapping[str, Any], p: Any) -> Values:
        raise NotImplementedError

    # -- the computation ---------------------------------------------------------------------
    def groups(self, conn: sa.Connection, run: Run, split: DimensionSpec | None) -> list[Any]:
        """``[(keys, labels, values)]``: one row, or one per split value."""
        p = run.params
        b = run.builder(p.table)
        where = []
        tree: list[Any] = [p.filter] if p.filter else []
        if run.period is not None and self.period_on_date_field:
            tree.append(period_filter(p.date_field, *run.period))
        cond = b.condition({"and": tree} if tree else None, "filter")
        if cond is not None:
            where.append(cond)
        measures = self.measures(b, p, run)
        dims = [build_dimension(b.ctx, split, "split")] if split is not None else []
        q = b.select(dims, measures, where=where)
        result = b.fetch(conn, q, dims, measures)
        out = []
        for keys, labels, vals in result.rows:
            m = dict(zip([x.key for x in measures], vals, strict=True))
            out.append((keys, labels, self.values(m, p)))
        return out

    def compute(self, conn: sa.Connection, run: Run) -> dict[str, Any]:
        p = run.params
        [(_, _, now)] = self.groups(conn, run, None) or [((), (), {})]
        out: dict[str, Any] = {
            "kpi": self.key,
            "unit": self.unit,
            "value": now.get("value"),
            "values": now,
        }
        if run.period is not None:
            start, end = run.period
            out["period"] = {"start": start.isoformat(), "end": end.isoformat()}
            if p.compare:
                prev_run = Run(run.builder, p, previous_period(start, end))
                [(_, _, before)] = self.groups(conn, prev_run, None) or [((), (), {})]
                ps, pe = prev_run.period or (start, end)
                out["previous_period"] = {"start": ps.isoformat(), "end": pe.isoformat()}
                out["previous"] = {"value": before.get("value"), "values": before}
                v, pv = now.get("value"), before.get("value")
                out["change"] = None if v is None or pv is None else v - pv
        if p.split is not None:
            out["groups"] = [
                {
                    "key": plain(keys[0]),
                    "label": labels[0],
                    "value": vals.get("value"),
                    "values": vals,
                }
                for keys, labels, vals in self.groups(conn, run, p.split)
            ]
        return out


def run_kpi(
    kpi: Kpi, params: Any, builder: BuilderFor, conn: sa.Connection, clock: Any, tz: Any
) -> dict[str, Any]:
    p = parse_model(kpi.Params, params, "params")
    period = resolve_period(p.period, clock, tz) if p.period is not None else None
    return kpi.compute(conn, Run(builder, p, period))


def spec_measure(b: DatasetBuilder, key: str, **spec: Any) -> Measure:
    return b.measure(MeasureSpec(key=key, **spec), f"params.{key}")


KpiRegistry = Registry[Kpi]
