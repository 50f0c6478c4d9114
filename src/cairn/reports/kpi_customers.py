"""KPIs of customers: NPS, CSAT, churn rate and customer lifetime value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import sqlalchemy as sa

from cairn.query.tree import invalid
from cairn.reports.dataset_select import Measure
from cairn.reports.datasets import DatasetBuilder
from cairn.reports.kpi_base import (
    DATES,
    NUMBER,
    FieldParams,
    Kpi,
    KpiParams,
    Run,
    Values,
    as_float,
    ratio,
    spec_measure,
)
from cairn.reports.periods import period_filter
from cairn.reports.refs import resolve_ref


# -- satisfaction ------------------------------------------------------------------------------
class ScoreParams(KpiParams):
    score_field: str


class Nps(Kpi):
    """Net promoter score on a 0–10 scale: % promoters (9–10) − % detractors (0–6)."""

    key = "nps"
    unit = "score"
    Params = ScoreParams
    field_params: ClassVar[FieldParams] = {"date_field": DATES, "score_field": NUMBER}

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
        pro, det = ratio(m["promoters"], m["n"]), ratio(m["detractors"], m["n"])
        value = None if pro is None or det is None else pro - det
        return {"value": value, "promoters": pro, "detractors": det, "responses": m["n"]}


class CsatParams(ScoreParams):
    satisfied_min: float = 4


class Csat(Kpi):
    """Customer satisfaction on a 5-point scale: share of 4–5 (``value``) and the mean."""

    key = "csat"
    Params = CsatParams
    field_params: ClassVar[FieldParams] = {"date_field": DATES, "score_field": NUMBER}

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
            "value": ratio(m["satisfied"], m["n"]),
            "mean": as_float(m["mean"]),
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
    field_params: ClassVar[FieldParams] = {
        "date_field": DATES,
        "since_field": DATES,
        "lost_at_field": DATES,
    }
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
            "value": ratio(m["lost"], m["at_start"]),
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
    field_params: ClassVar[FieldParams] = {
        "date_field": DATES,
        "amount_field": NUMBER,
        "customer_field": None,
    }

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
            "value": ratio(m["total"], m["customers"], 1.0),
            "total": as_float(m["total"]) if m["total"] is not None else 0.0,
            "customers": m["customers"],
        }
