"""Alerts, the pure part: a threshold on a KPI (or a dataset measure), its schedule and the
crossing logic.

``evaluate`` decides, from the value now and the state stored after the last check, whether
this check is a crossing (act once), a recovery (re-arm) or neither; ``next_check`` says when
a schedule (a cron expression in the installation's zone, or a fixed interval) checks next.
``services.alerts`` stores alerts, runs the checks and the rule-engine actions of a crossing.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from pydantic import Field as PField

from cairn.reports.dashboards import KpiSource
from cairn.reports.periods import PeriodSpec
from cairn.reports.spec import KEY_PATTERN, DatasetSpec

Op = Literal[">", ">=", "<", "<="]
State = Literal["ok", "firing"]
Unit = Literal["minutes", "hours", "days"]
_OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
_UNITS = {"minutes": 60, "hours": 3600, "days": 86400}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AlertSchedule(_Strict):
    """When the worker checks: ``cron`` (in the installation's time zone) or ``every`` N
    ``unit`` (at least 1 minute)."""

    cron: str | None = PField(default=None, max_length=100)
    every: int | None = PField(default=None, ge=1, le=100_000)
    unit: Unit = "minutes"

    @model_validator(mode="after")
    def _one(self) -> AlertSchedule:
        if (self.cron is None) == (self.every is None):
            raise ValueError("a schedule is a cron expression or an interval (one of them)")
        if self.cron is not None:
            from croniter import croniter

            if not croniter.is_valid(self.cron):
                raise ValueError(f"{self.cron!r} is not a valid cron expression")
        return self

    @property
    def seconds(self) -> int:
        return (self.every or 0) * _UNITS[self.unit]


class AlertSpec(_Strict):
    """``kpi`` (its ``value``) or ``dataset`` (its first measure, first row) ``op``
    ``threshold``: e.g. complaint rate > 5 this week, CSAT < 80. ``period`` replaces the KPI's
    own period; for a dataset it keeps the records whose ``date_field`` falls in it."""

    kpi: KpiSource | None = None
    dataset: DatasetSpec | None = None
    op: Op
    threshold: float
    period: PeriodSpec | None = None
    date_field: str = PField(default="created_at", min_length=1, max_length=130)

    @model_validator(mode="after")
    def _one_source(self) -> AlertSpec:
        if (self.kpi is None) == (self.dataset is None):
            raise ValueError("an alert watches a KPI or a dataset measure (one of them)")
        return self

    @property
    def table(self) -> str | None:
        """The table the alert reads (a KPI's ``table`` parameter)."""
        if self.dataset is not None:
            return self.dataset.table
        assert self.kpi is not None
        t = self.kpi.params.get("table")
        return t if isinstance(t, str) else None


class AlertIn(_Strict):
    """An alert as the API takes it and app packages carry it."""

    key: str = PField(pattern=KEY_PATTERN)
    name: str = PField(min_length=1, max_length=200)
    description: str = PField(default="", max_length=5000)
    enabled: bool = True
    kpi: KpiSource | None = None
    dataset: DatasetSpec | None = None
    op: Op
    threshold: float
    period: PeriodSpec | None = None
    date_field: str = PField(default="created_at", min_length=1, max_length=130)
    schedule: AlertSchedule
    #: Whose permissions compute the value (default: who creates the alert); a department-scoped
    #: owner's alert watches the department's figures.
    owner_id: int | None = None
    #: Rule-engine actions (notify, webhook, create_record, start_process) run once per crossing.
    actions: list[dict[str, Any]] = PField(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _one_source(self) -> AlertIn:
        if (self.kpi is None) == (self.dataset is None):
            raise ValueError("an alert watches a KPI or a dataset measure (one of them)")
        return self

    @field_validator("threshold")
    @classmethod
    def _finite(cls, v: float) -> float:
        if v != v or v in (float("inf"), float("-inf")):
            raise ValueError("the threshold must be a finite number")
        return v

    def spec(self) -> AlertSpec:
        return AlertSpec(
            kpi=self.kpi,
            dataset=self.dataset,
            op=self.op,
            threshold=self.threshold,
            period=self.period,
            date_field=self.date_field,
        )


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


def evaluate(spec: AlertSpec, value: Any, previous: str = "ok") -> Evaluation:
    now: State = "firing" if breached(spec.op, value, spec.threshold) else "ok"
    return Evaluation(
        now, now == "firing" and previous == "ok", now == "ok" and previous == "firing"
    )


def next_check(schedule: AlertSchedule, after: datetime, tz: tzinfo) -> datetime:
    """The first check strictly after ``after`` (UTC naive in, UTC naive out)."""
    if schedule.every is not None:
        return after + timedelta(seconds=schedule.seconds)
    from croniter import croniter

    assert schedule.cron is not None
    it = croniter(schedule.cron, after.replace(tzinfo=UTC).astimezone(tz))
    return it.get_next(datetime).astimezone(UTC).replace(tzinfo=None)
