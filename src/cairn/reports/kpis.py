"""The KPI library: one class per KPI in a registry, each a set of measures computed in SQL
(one GROUP BY per period) and the arithmetic that turns them into the KPI's values.

Every KPI takes a table, a filter, the date field that places a record in a period, a period
(compared with the one before it) and an optional split dimension.
"""

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
from cairn.reports.datasets import DatasetBuilder, Measure
from cairn.reports.dimensions import build_dimension, plain
from cairn.reports.periods import PeriodSpec, period_filter, previous_period, resolve_period
from cairn.reports.refs import resolve_ref
from cairn.reports.spec import DimensionSpec, MeasureSpec, parse_model
from cairn.reports.sqlparts import duration

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


def _ratio(a: Any, b: Any, scale: float = 100.0) -> float | None:
    if a is None or not b:
        return None
    return float(a) / float(b) * scale


def _f(v: Any) -> float | None:
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


# -- satisfaction ------------------------------------------------------------------------------
class ScoreParams(KpiParams):
    score_field: str


class Nps(Kpi):
    """Net promoter score on a 0–10 scale: % promoters (9–10) − % detractors (0–6)."""

    key = "nps"
    unit = "score"
    Params = ScoreParams

    def measures(self, b: DatasetBuilder, p: Any, run: Run) -> list[Measure]:
        f = p.score_field
        return [
            spec_measure(b, "n", agg="count", field=f),
            spec_measure(b, "promoters", agg="count", filter={"field": f, "op": "gte", "value": 9}),
            spec_measure(
                b, "detractors", agg="count", filter={"field": f, "op": "lte", "value": 6}
            ),
        ]

    def values(self, m: Mapping[str, Any], p: Any) -> Values:
        pro, det = _ratio(m["promoters"], m["n"]), _ratio(m["detractors"], m["n"])
        value = None if pro is None or det is None else pro - det
        return {"value": value, "promoters": pro, "detractors": det, "responses": m["n"]}


class CsatParams(ScoreParams):
    satisfied_min: float = 4


class Csat(Kpi):
    """Customer satisfaction on a 5-point scale: share of 4–5 (``value``) and the mean."""

    key = "csat"
    Params = CsatParams

    def measures(self, b: DatasetBuilder, p: Any, run: Run) -> list[Measure]:
        f = p.score_field
        flt = {"field": f, "op": "gte", "value": p.satisfied_min}
        return [
            spec_measure(b, "n", agg="count", field=f),
            spec_measure(b, "satisfied", agg="count", filter=flt),
            spec_measure(b, "mean", agg="avg", field=f),
        ]

    def values(self, m: Mapping[str, Any], p: Any) -> Values:
        return {
            "value": _ratio(m["satisfied"], m["n"]),
            "mean": _f(m["mean"]),
            "responses": m["n"],
        }


# -- customers -----------------------------------------------------------------------------
class ChurnParams(KpiParams):
    #: When a record became a customer (``date_field`` by default).
    since_field: str | None = None
    lost_filter: Any
    lost_at_field: str


class ChurnRate(Kpi):
    """Customers lost in the period / customers at its start ("lost" given by a filter and
    the date it happened); only customers there at the start count as lost."""

    key = "churn_rate"
    Params = ChurnParams
    period_on_date_field = False

    def measures(self, b: DatasetBuilder, p: Any, run: Run) -> list[Measure]:
        if run.period is None:
            raise invalid("params.period", "report.period_required")
        start, end = run.period
        since = p.since_field or p.date_field
        lost = b.condition(p.lost_filter, "params.lost_filter")
        lost_at = resolve_ref(b.ctx, p.lost_at_field, "params.lost_at_field").expr
        joined = b.condition({"field": since, "op": "lt", "value": start.isoformat()}, "params")
        lost_before = b.condition(
            {"field": p.lost_at_field, "op": "lt", "value": start.isoformat()}, "params"
        )
        in_period = b.condition(period_filter(p.lost_at_field, start, end), "params")
        assert joined is not None and lost_before is not None and in_period is not None
        lost_sql = lost if lost is not None else sa.true()
        at_start = sa.and_(joined, sa.not_(sa.and_(lost_sql, lost_before, lost_at.is_not(None))))
        count = b.aggregations.get("count")
        return [
            Measure("at_start", "at_start", count, condition=at_start),
            Measure("lost", "lost", count, condition=sa.and_(at_start, lost_sql, in_period)),
        ]

    def values(self, m: Mapping[str, Any], p: Any) -> Values:
        return {
            "value": _ratio(m["lost"], m["at_start"]),
            "lost": m["lost"],
            "at_start": m["at_start"],
        }


class ClvParams(KpiParams):
    amount_field: str
    customer_field: str
    paid_filter: Any = None


class CustomerLifetimeValue(Kpi):
    """Paid amounts per customer: their sum / the customers who paid (``value``)."""

    key = "clv"
    unit = "currency"
    Params = ClvParams

    def measures(self, b: DatasetBuilder, p: Any, run: Run) -> list[Measure]:
        paid = {
            "and": [
                {"field": p.amount_field, "op": "is_not_empty"},
                *([p.paid_filter] if p.paid_filter else []),
            ]
        }
        return [
            spec_measure(b, "total", agg="sum", field=p.amount_field, filter=paid),
            spec_measure(b, "customers", agg="distinct", field=p.customer_field, filter=paid),
        ]

    def values(self, m: Mapping[str, Any], p: Any) -> Values:
        return {
            "value": _ratio(m["total"], m["customers"], 1.0),
            "total": _f(m["total"]) if m["total"] is not None else 0.0,
            "customers": m["customers"],
        }


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

    def measures(self, b: DatasetBuilder, p: Any, run: Run) -> list[Measure]:
        span = {"field": p.response_field, "since": p.date_field, "unit": p.unit_of_time}
        return [
            spec_measure(b, "mean", agg="avg", **span),
            spec_measure(b, "p90", agg="percentile", p=0.9, **span),
            spec_measure(b, "responded", agg="count", field=p.response_field),
        ]

    def values(self, m: Mapping[str, Any], p: Any) -> Values:
        return {"value": _f(m["mean"]), "p90": _f(m["p90"]), "responded": m["responded"]}


class WaitingParams(KpiParams):
    start_field: str
    end_field: str
    unit_of_time: str = "hour"


class AverageWaitingTime(Kpi):
    """Mean (``value``) and median time between two datetime fields."""

    key = "average_waiting_time"
    unit = "hour"
    Params = WaitingParams

    def measures(self, b: DatasetBuilder, p: Any, run: Run) -> list[Measure]:
        span = {"field": p.end_field, "since": p.start_field, "unit": p.unit_of_time}
        return [
            spec_measure(b, "mean", agg="avg", **span),
            spec_measure(b, "median", agg="median", **span),
        ]

    def values(self, m: Mapping[str, Any], p: Any) -> Values:
        return {"value": _f(m["mean"]), "median": _f(m["median"])}


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
        return {"value": _ratio(m["matched"], m["n"]), "matched": m["matched"], "n": m["n"]}


class FixParams(KpiParams):
    asset_field: str
    window_hours: float = PField(default=72, gt=0, le=24 * 366)


class FirstTimeFixRate(Kpi):
    """Jobs with no repeat job on the same asset within ``window_hours`` after them / jobs."""

    key = "first_time_fix_rate"
    Params = FixParams

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
        return {"value": _ratio(m["fixed"], m["jobs"]), "fixed": m["fixed"], "jobs": m["jobs"]}


class DeliveryParams(KpiParams):
    delivered_field: str
    due_field: str


class OnTimeDeliveryRate(Kpi):
    """Deliveries made by their due time / deliveries made."""

    key = "on_time_delivery_rate"
    Params = DeliveryParams

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
            "value": _ratio(m["on_time"], m["delivered"]),
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
            "value": _ratio(m.get("complaints"), m["services"]),
            "complaints": m.get("complaints"),
            "services": m["services"],
        }

    def groups(self, conn: sa.Connection, run: Run, split: DimensionSpec | None) -> list[Any]:
        p = run.params
        if p.complaints_table in (None, p.table):
            return super().groups(conn, run, split)
        services = super().groups(conn, run, split)
        other = p.model_copy(
            update={
                "table": p.complaints_table,
                "filter": p.complaints_filter,
                "date_field": p.complaints_date_field or p.date_field,
                "complaints_table": None,
                "complaints_filter": None,
            }
        )
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
                    "rate": _ratio(c, counts[0]),
                    "step_rate": _ratio(c, counts[i - 1]) if i else 100.0 if c else None,
                }
            )
        return {"value": _ratio(counts[-1], counts[0]) if counts else None, "stages": stages}

    def compute(self, conn: sa.Connection, run: Run) -> dict[str, Any]:
        out = super().compute(conn, run)
        b = run.builder(run.params.table)
        labels = [s.label for s in self.stages(b, run.params)]
        for stage, label in zip(out["values"].get("stages", []), labels, strict=False):
            stage["label"] = label
        return out


KpiRegistry = Registry[Kpi]

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
