"""The KPI library: one class per KPI in a registry, each a set of measures computed in SQL
(one GROUP BY per period) and the arithmetic that turns them into the KPI's values.

Every KPI takes a table, a filter, the date field that places a record in a period, a period
(compared with the one before it) and an optional split dimension.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField

from cairn.core import Invalid, Registry
from cairn.query.tree import invalid
from cairn.reports.dataset_select import Measure
from cairn.reports.datasets import DatasetBuilder
from cairn.reports.kpi_base import (
    DATES,
    BuilderFor,
    FieldParams,
    Kpi,
    KpiParams,
    KpiRegistry,
    Run,
    Values,
    as_float,
    ratio,
    run_kpi,
    spec_measure,
)
from cairn.reports.kpi_customers import ChurnRate, Csat, CustomerLifetimeValue, Nps
from cairn.reports.refs import resolve_ref
from cairn.reports.spec import DimensionSpec
from cairn.reports.sqlparts import duration

__all__ = [
    "BUILTIN_KPIS",
    "BuilderFor",
    "Kpi",
    "KpiParams",
    "KpiRegistry",
    "Run",
    "builtin_kpis",
    "register_builtins",
    "run_kpi",
    "spec_measure",
]


# -- service -------------------------------------------------------------------------------
class ResponseParams(KpiParams):
    date_field: str = "created_at"
    response_field: str
    unit_of_time: str = "hour"


class FirstResponseTime(Kpi):
    """From ``date_field`` (created) to the first response: mean (``value``) and p90."""

    key = "first_response_time"
    unit = "hour"
    Params = ResponseParams
    field_params: ClassVar[FieldParams] = {"date_field": DATES, "response_field": DATES}

    def measures(self, b: DatasetBuilder, p: Any, run: Run) -> list[Measure]:
        span = {"field": p.response_field, "since": p.date_field, "unit": p.unit_of_time}
        return [
            spec_measure(b, "mean", agg="avg", **span),
            spec_measure(b, "p90", agg="percentile", p=0.9, **span),
            spec_measure(b, "responded", agg="count", field=p.response_field),
        ]

    def values(self, m: Mapping[str, Any], p: Any) -> Values:
        return {
            "value": as_float(m["mean"]),
            "p90": as_float(m["p90"]),
            "responded": m["responded"],
        }


class WaitingParams(KpiParams):
    start_field: str
    end_field: str
    unit_of_time: str = "hour"


class AverageWaitingTime(Kpi):
    """Mean (``value``) and median time between two datetime fields."""

    key = "average_waiting_time"
    unit = "hour"
    Params = WaitingParams
    field_params: ClassVar[FieldParams] = {
        "date_field": DATES,
        "start_field": DATES,
        "end_field": DATES,
    }

    def measures(self, b: DatasetBuilder, p: Any, run: Run) -> list[Measure]:
        span = {"field": p.end_field, "since": p.start_field, "unit": p.unit_of_time}
        return [
            spec_measure(b, "mean", agg="avg", **span),
            spec_measure(b, "median", agg="median", **span),
        ]

    def values(self, m: Mapping[str, Any], p: Any) -> Values:
        return {"value": as_float(m["mean"]), "median": as_float(m["median"])}


class ShareParams(KpiParams):
    match_filter: Any


class ResolutionRate(Kpi):
    """Records matching ``match_filter`` (resolved) / all records in the period."""

    key = "resolution_rate"
    Params = ShareParams

    def measures(self, b: DatasetBuilder, p: Any, run: Run) -> list[Measure]:
        return [
            spec_measure(b, "n", agg="count"),
            spec_measure(b, "matched", agg="count", filter=p.match_filter),
        ]

    def values(self, m: Mapping[str, Any], p: Any) -> Values:
        return {"value": ratio(m["matched"], m["n"]), "matched": m["matched"], "n": m["n"]}


class FixParams(KpiParams):
    asset_field: str
    window_hours: float = PField(default=72, gt=0, le=24 * 366)


class FirstTimeFixRate(Kpi):
    """Jobs with no repeat job on the same asset within ``window_hours`` after them / jobs."""

    key = "first_time_fix_rate"
    Params = FixParams
    field_params: ClassVar[FieldParams] = {"date_field": DATES, "asset_field": None}

    def measures(self, b: DatasetBuilder, p: Any, run: Run) -> list[Measure]:
        asset = resolve_ref(b.ctx, p.asset_field, "params.asset_field")
        at = resolve_ref(b.ctx, p.date_field, "params.date_field")
        for ref, loc in ((asset, "asset_field"), (at, "date_field")):
            # A stored column of this table: a relation or computed field cannot be compared.
            if ref.relation is not None or not isinstance(ref.expr, sa.Column):
                raise invalid(
                    f"params.{loc}", "report.field_type", field=ref.key, type=ref.field.type
                )
        t = b.schema.sa_table
        t2 = t.alias("repeat")
        col = asset.expr.name
        when, when2 = t.c[at.expr.name], t2.c[at.expr.name]
        later = sa.or_(when2 > when, sa.and_(when2 == when, t2.c.id > t.c.id))
        repeat = (
            sa.select(sa.literal(1))
            .where(
                t2.c.deleted_at.is_(None),
                t2.c[col] == t.c[col],
                t2.c.id != t.c.id,
                later,
                duration(when2, when, "hour", b.ctx.dialect) <= p.window_hours,
            )
            .exists()
        )
        count = b.aggregations.get("count")
        return [
            Measure("jobs", "jobs", count),
            Measure("fixed", "fixed", count, condition=sa.and_(t.c[col].is_not(None), ~repeat)),
        ]

    def values(self, m: Mapping[str, Any], p: Any) -> Values:
        return {"value": ratio(m["fixed"], m["jobs"]), "fixed": m["fixed"], "jobs": m["jobs"]}


class DeliveryParams(KpiParams):
    delivered_field: str
    due_field: str


class OnTimeDeliveryRate(Kpi):
    """Deliveries made by their due time / deliveries made."""

    key = "on_time_delivery_rate"
    Params = DeliveryParams
    field_params: ClassVar[FieldParams] = {
        "date_field": DATES,
        "delivered_field": DATES,
        "due_field": DATES,
    }

    def measures(self, b: DatasetBuilder, p: Any, run: Run) -> list[Measure]:
        done = resolve_ref(b.ctx, p.delivered_field, "params.delivered_field").expr
        due = resolve_ref(b.ctx, p.due_field, "params.due_field").expr
        count = b.aggregations.get("count")
        return [
            Measure("delivered", "delivered", count, condition=done.is_not(None)),
            Measure("on_time", "on_time", count, condition=sa.and_(done.is_not(None), done <= due)),
        ]

    def values(self, m: Mapping[str, Any], p: Any) -> Values:
        return {
            "value": ratio(m["on_time"], m["delivered"]),
            "on_time": m["on_time"],
            "delivered": m["delivered"],
        }


class ComplaintParams(KpiParams):
    #: The complaints: in ``complaints_table`` (default: ``table``) matching this filter.
    complaints_filter: Any = None
    complaints_table: str | None = None
    complaints_date_field: str | None = None


class ComplaintRate(Kpi):
    """Complaints / services in the period (the services: ``table`` + ``filter``)."""

    key = "complaint_rate"
    Params = ComplaintParams

    def measures(self, b: DatasetBuilder, p: Any, run: Run) -> list[Measure]:
        count = b.aggregations.get("count")
        if p.complaints_table in (None, p.table):
            return [
                Measure("services", "services", count),
                spec_measure(b, "complaints", agg="count", filter=p.complaints_filter),
            ]
        return [Measure("services", "services", count)]

    def values(self, m: Mapping[str, Any], p: Any) -> Values:
        return {
            "value": ratio(m.get("complaints"), m["services"]),
            "complaints": m.get("complaints"),
            "services": m["services"],
        }

    @staticmethod
    def _complaints(p: Any) -> Any:
        """The parameters of counting the complaints in their own table."""
        return p.model_copy(
            update={
                "table": p.complaints_table,
                "filter": p.complaints_filter,
                "date_field": p.complaints_date_field or p.date_field,
                "complaints_table": None,
                "complaints_filter": None,
            }
        )

    def check(self, run: Run) -> None:
        super().check(run)
        p = run.params
        if p.complaints_table not in (None, p.table):
            try:
                super().check(Run(run.builder, self._complaints(p), run.period))
            except Invalid as e:  # said about the complaint parameters
                raise Invalid(
                    "invalid.input",
                    {"params.complaints_table": [m for ms in e.field_errors.values() for m in ms]},
                ) from None

    def groups(self, conn: sa.Connection, run: Run, split: DimensionSpec | None) -> list[Any]:
        p = run.params
        if p.complaints_table in (None, p.table):
            return super().groups(conn, run, split)
        services = super().groups(conn, run, split)
        other = self._complaints(p)
        complaints = {
            keys: v["services"]
            for keys, _l, v in super().groups(conn, Run(run.builder, other, run.period), split)
        }
        out = []
        for keys, labels, v in services:
            m = {"services": v["services"], "complaints": complaints.get(keys, 0)}
            out.append((keys, labels, self.values(m, p)))
        return out


class FunnelStage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = PField(min_length=1, max_length=100)
    filter: Any


class FunnelParams(KpiParams):
    #: Stages in order, each a filter of the records that reached it; or ``stage_field``, a
    #: single select whose options are the stages (reaching one means being at it or later).
    stages: list[FunnelStage] = PField(default_factory=list, max_length=20)
    stage_field: str | None = None


class FunnelConversion(Kpi):
    """Records reaching each stage; ``value`` is last stage / first stage."""

    key = "funnel_conversion"
    Params = FunnelParams
    field_params: ClassVar[FieldParams] = {"date_field": DATES, "stage_field": None}

    def stages(self, b: DatasetBuilder, p: Any) -> list[FunnelStage]:
        if p.stages:
            return list(p.stages)
        if p.stage_field is None:
            raise invalid("params.stages", "report.funnel_stages")
        ref = resolve_ref(b.ctx, p.stage_field, "params.stage_field")
        choices = ref.field.options.get("choices", []) if ref.field.is_single_select else []
        if not choices:
            raise invalid("params.stage_field", "report.funnel_stages")
        ids = [c["id"] for c in choices]
        return [
            FunnelStage(
                label=c["value"], filter={"field": p.stage_field, "op": "in", "value": ids[i:]}
            )
            for i, c in enumerate(choices)
        ]

    def drill_stages(self, b: DatasetBuilder, p: Any) -> list[Any] | None:
        return [s.filter for s in self.stages(b, p)]

    def measures(self, b: DatasetBuilder, p: Any, run: Run) -> list[Measure]:
        return [
            spec_measure(b, f"s{i}", agg="count", filter=s.filter, label=s.label)
            for i, s in enumerate(self.stages(b, p))
        ]

    def values(self, m: Mapping[str, Any], p: Any) -> Values:
        counts = [m[f"s{i}"] for i in range(len(m))]
        stages = []
        for i, c in enumerate(counts):
            stages.append(
                {
                    "count": c,
                    "rate": ratio(c, counts[0]),
                    "step_rate": ratio(c, counts[i - 1]) if i else 100.0 if c else None,
                }
            )
        return {"value": ratio(counts[-1], counts[0]) if counts else None, "stages": stages}

    def compute(self, conn: sa.Connection, run: Run) -> dict[str, Any]:
        out = super().compute(conn, run)
        b = run.builder(run.params.table)
        labels = [s.label for s in self.stages(b, run.params)]
        for stage, label in zip(out["values"].get("stages", []), labels, strict=False):
            stage["label"] = label
        return out


BUILTIN_KPIS: tuple[type[Kpi], ...] = (
    Nps,
    Csat,
    ChurnRate,
    FirstResponseTime,
    ResolutionRate,
    FirstTimeFixRate,
    AverageWaitingTime,
    OnTimeDeliveryRate,
    ComplaintRate,
    CustomerLifetimeValue,
    FunnelConversion,
)


def register_builtins(registry: KpiRegistry) -> None:
    for cls in BUILTIN_KPIS:
        registry.register(cls())


def builtin_kpis() -> KpiRegistry:
    registry: KpiRegistry = Registry("kpi")
    register_builtins(registry)
    return registry
