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
from cairn.query.tree import invalid
from cairn.reports.dataset_select import Measure
from cairn.reports.datasets import DatasetBuilder
from cairn.reports.dimensions import Dimension, build_dimension, plain
from cairn.reports.periods import PeriodSpec, period_filter, previous_period, resolve_period
from cairn.reports.refs import resolve_ref
from cairn.reports.spec import DimensionSpec, MeasureSpec, parse_model

#: Builds a DatasetBuilder for a table key (the caller's scope applied).
BuilderFor = Callable[[str], DatasetBuilder]
Values = dict[str, Any]
#: The value types a field parameter may have (None: any field).
NUMBER = frozenset({"number"})
DATES = frozenset({"date", "datetime"})
FieldParams = dict[str, frozenset[str] | None]


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
    #: The parameters that name a field of ``table``, with the value types each may have:
    #: checked first, so a wrong field is said about the parameter that names it.
    field_params: ClassVar[FieldParams] = {"date_field": DATES}

    def measures(self, b: DatasetBuilder, p: Any, run: Run) -> list[Measure]:
        raise NotImplementedError

    def values(self, m: Mapping[str, Any], p: Any) -> Values:
        raise NotImplementedError

    # -- checks ------------------------------------------------------------------------------
    def check_fields(self, b: DatasetBuilder, p: Any) -> None:
        """Each field parameter names a field of the table the caller may read, of a type it
        takes (``Invalid`` at ``params.<name>``)."""
        for name, types in self.field_params.items():
            value = getattr(p, name, None)
            if value is None:
                continue
            ref = resolve_ref(b.ctx, value, f"params.{name}")
            if types is not None and ref.value_type not in types:
                key = "report.param_number" if types == NUMBER else "report.param_date"
                raise invalid(f"params.{name}", key, param=name, field=value, type=ref.field.type)

    def check(self, run: Run) -> None:
        """Build the KPI's queries (with its split) without running them: ``Invalid`` names
        the parameter at fault."""
        self.check_fields(run.builder(run.params.table), run.params)
        self.query(run, None)
        if run.params.split is not None:
            self.query(run, run.params.split)

    def drill_stages(self, b: DatasetBuilder, p: Any) -> list[Any] | None:
        """The filter of each stage a chart of this KPI shows as a point (a funnel); None:
        its points are split values."""
        return None

    # -- the computation ---------------------------------------------------------------------
    def query(
        self, run: Run, split: DimensionSpec | None
    ) -> tuple[DatasetBuilder, sa.Select[Any], list[Dimension], list[Measure]]:
        """The one GROUP BY of the KPI's measures (per split value) and what reads it."""
        p = run.params
        b = run.builder(p.table)
        where = []
        cond = b.condition(self.base_filter(run), "params.filter")
        if cond is not None:
            where.append(cond)
        measures = self.measures(b, p, run)
        dims = [build_dimension(b.ctx, split, "params.split")] if split is not None else []
        return b, b.select(dims, measures, where=where), dims, measures

    def base_filter(self, run: Run) -> Any:
        """The records the KPI counts: its filter and, unless it places them in the period
        itself, the period on ``date_field`` (what a drill-down into it shows)."""
        p = run.params
        tree: list[Any] = [p.filter] if p.filter else []
        if run.period is not None and self.period_on_date_field:
            tree.append(period_filter(p.date_field, *run.period))
        return {"and": tree} if tree else None

    def groups(self, conn: sa.Connection, run: Run, split: DimensionSpec | None) -> list[Any]:
        """``[(keys, labels, values)]``: one row, or one per split value."""
        p = run.params
        b, q, dims, measures = self.query(run, split)
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


def kpi_run(kpi: Kpi, params: Any, builder: BuilderFor, clock: Any, tz: Any) -> Run:
    """The KPI's parameters checked (``Invalid`` at ``params.…``) and its period resolved."""
    p = parse_model(kpi.Params, params, "params")
    period = resolve_period(p.period, clock, tz) if p.period is not None else None
    return Run(builder, p, period)


def run_kpi(
    kpi: Kpi, params: Any, builder: BuilderFor, conn: sa.Connection, clock: Any, tz: Any
) -> dict[str, Any]:
    run = kpi_run(kpi, params, builder, clock, tz)
    kpi.check_fields(builder(run.params.table), run.params)
    return kpi.compute(conn, run)


def spec_measure(b: DatasetBuilder, key: str, **spec: Any) -> Measure:
    return b.measure(MeasureSpec(key=key, **spec), f"params.{key}")


KpiRegistry = Registry[Kpi]
