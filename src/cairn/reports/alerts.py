"""Alerts, the pure part: a threshold on a KPI (or a dataset measure), its schedule and the
crossing logic.

``evaluate`` decides, from the value now and the state stored after the last check, whether
this check is a crossing (act once), a recovery (re-arm) or neither; ``next_check`` says when
a schedule (a cron expression in the installation's zone, or a fixed interval) checks next.
``alert_public`` and ``check_public`` shape the stored rows for the API. The checker is
``alert_checker.py`` (a check, the scan) and ``alert_actions.py`` (a crossing's actions).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Literal

from croniter import croniter
from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from pydantic import Field as PField

from cairn.core import CairnError, render
from cairn.reports.dashboards import KpiSource
from cairn.reports.periods import PeriodSpec
from cairn.reports.spec import KEY_PATTERN, DatasetSpec

Op = Literal[">", ">=", "<", "<="]
State = Literal["ok", "firing"]
Unit = Literal["minutes", "hours", "days"]
_OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
_UNITS = {"minutes": 60, "hours": 3600, "days": 86400}

#: The rule-engine actions an alert may run (there is no record to update or wait on).
ALERT_ACTIONS = frozenset({"notify", "webhook", "create_record", "start_process"})
#: What a notify or webhook template of an alert may read.
TEMPLATE_NAMES = (
    "alert",
    "key",
    "name",
    "value",
    "threshold",
    "op",
    "unit",
    "period",
    "state",
    "owner_id",
    "record",
    "rule",
    "link",
)
#: Tries of a crossing's actions before the check is marked failed.
MAX_ATTEMPTS = 5
#: The fields of the alert spec (stored in ``alerts.spec``).
SPEC_KEYS = ("kpi", "dataset", "op", "threshold", "period", "date_field")


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
        if self.cron is not None and not croniter.is_valid(self.cron):
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
    assert schedule.cron is not None
    it = croniter(schedule.cron, after.replace(tzinfo=UTC).astimezone(tz))
    return it.get_next(datetime).astimezone(UTC).replace(tzinfo=None)


def iso(v: Any) -> str | None:
    return None if v is None else v.isoformat(timespec="seconds") + "Z"


def number(v: Any) -> float | None:
    """``v`` as a float, or None (no value, a flag, text)."""
    if v is None or isinstance(v, bool):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def error_text(e: BaseException) -> str:
    """An error as the check log keeps it (English, with its field errors; 2,000 characters
    at most)."""
    if isinstance(e, CairnError):

        def say(m: Any) -> str:
            try:
                return render(m, "en")
            except Exception:
                return str(m.key)

        text = say(e.message)
        fields = getattr(e, "field_errors", None) or {}
        details = [f"{loc}: {say(m)}" for loc, ms in fields.items() for m in ms]
        return (text + (" " + "; ".join(details) if details else ""))[:2000]
    return f"{type(e).__name__}: {e}"[:2000]


def alert_public(row: Any) -> dict[str, Any]:
    spec = row["spec"] or {}
    out: dict[str, Any] = {
        "id": row["id"],
        "key": row["key"],
        "name": row["name"],
        "description": row["description"],
        "enabled": bool(row["enabled"]),
        "owner_id": row["owner_id"],
    }
    out.update({k: spec[k] for k in SPEC_KEYS if k in spec})
    out.update(
        {
            "schedule": row["schedule"],
            "actions": row["actions"] or [],
            "state": row["state"],
            "crossings": row["crossings"],
            "last_value": row["last_value"],
            "last_checked_at": iso(row["last_checked_at"]),
            "last_fired_at": iso(row["last_fired_at"]),
            "next_check_at": iso(row["next_check_at"]),
            "version": row["version"],
            "created_at": iso(row["created_at"]),
            "updated_at": iso(row["updated_at"]),
        }
    )
    return out


def check_public(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "trigger": row["trigger"],
        "value": row["value"],
        "state_before": row["state_before"],
        "state": row["state"],
        "change": row["change"],
        "crossing": int(row["fire_key"].split(":")[1]) if row["fire_key"] else None,
        "status": row["status"],
        "attempts": row["attempts"],
        "actions": row["actions"] or [],
        "error": row["error"],
        "checked_at": iso(row["checked_at"]),
        "finished_at": iso(row["finished_at"]),
    }
