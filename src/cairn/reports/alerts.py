"""Alerts, the pure part: a threshold on a KPI (or a dataset measure) and the crossing logic.

Not scheduled yet: the worker that checks alerts on a schedule and the rule-engine actions a
crossing runs arrive with the rule engine. ``evaluate`` decides, from the value now and the
state stored after the last check, whether this check is a crossing (act once), a recovery
(re-arm) or neither.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic import Field as PField

from cairn.reports.dashboards import KpiSource
from cairn.reports.spec import DatasetSpec

Op = Literal[">", ">=", "<", "<="]
State = Literal["ok", "firing"]
_OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


class AlertSpec(BaseModel):
    """``kpi`` (its ``value``) or ``dataset`` (its first measure, first row) ``op`` ``threshold``:
    e.g. complaint rate > 5 this week, CSAT < 80."""

    model_config = ConfigDict(extra="forbid")
    name: str = PField(min_length=1, max_length=200)
    kpi: KpiSource | None = None
    dataset: DatasetSpec | None = None
    op: Op
    threshold: float
    #: How often the worker will check (a cron expression), once alerts are scheduled.
    schedule: str = PField(default="0 * * * *", max_length=100)

    @model_validator(mode="after")
    def _one_source(self) -> AlertSpec:
        if (self.kpi is None) == (self.dataset is None):
            raise ValueError("an alert watches a KPI or a dataset measure (one of them)")
        return self


@dataclass(frozen=True)
class Evaluation:
    state: State
    #: This check crossed the threshold: run the actions (once per crossing).
    crossed: bool
    #: This check came back inside the threshold: the next crossing acts again.
    recovered: bool


def breached(op: str, value: Any, threshold: float) -> bool:
    """Whether ``value`` is past the threshold; no value (no data) is never a breach."""
    if value is None:
        return False
    return bool(_OPS[op](float(value), threshold))


def evaluate(spec: AlertSpec, value: Any, previous: State = "ok") -> Evaluation:
    now: State = "firing" if breached(spec.op, value, spec.threshold) else "ok"
    return Evaluation(
        now, now == "firing" and previous == "ok", now == "ok" and previous == "firing"
    )
