"""Replies of the engines' settings and runs: rules (with the formula functions' help) and the
working calendar (processes and tasks: ``processes``; dashboards, reports, KPIs and alerts:
``reports``; notification channels: ``channels``; deliveries: ``deliveries``; the directory
sync: ``directory``).

Definitions written by users (triggers, actions) are free-form parts (``Any``); the models
name what every reply holds.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from cairn.api.models.base import Open, Reply

# -- rules ---------------------------------------------------------------------------------


class RuleWebhook(Reply):
    """The address an inbound-webhook rule listens on. The secret is shown once: in the reply
    that made it (create, rotate); afterwards ``path`` has it masked and ``secret`` is null."""

    path: str
    secret: str | None
    has_secret: bool = True


class RunRecord(Reply):
    """The record a run acted on, for its link (``title``: ``#id`` when it cannot be read)."""

    id: int
    title: str
    table: str


class RuleLastRun(Reply):
    """A rule's latest run, as the rule list shows it."""

    id: int
    #: As a run's: running, ok, partial, failed, skipped, stopped or waiting.
    status: str
    started_at: str | None
    finished_at: str | None


class Rule(Reply):
    id: int
    key: str
    name: str
    description: str
    table: str | None
    enabled: bool
    owner_id: int | None
    trigger: Any
    condition: Any
    actions: list[Any]
    version: int
    created_at: str | None
    updated_at: str | None
    webhook: RuleWebhook | None = None
    #: In the list only: the latest run (null when the rule never ran).
    last_run: RuleLastRun | None = None


class RuleList(Reply):
    items: list[Rule]


class RuleRun(Reply):
    id: int
    trigger: str | None
    event_id: Any
    record_id: int | None
    status: str
    late: bool
    condition: Any
    depth: int | None
    actions: list[Any]
    error: Any
    started_at: str | None
    finished_at: str | None
    record: RunRecord | None = None


class RuleRuns(Reply):
    """The rule's runs, newest first (``total``: how many match the filters), and the waits
    it has pending."""

    items: list[RuleRun]
    total: int
    waiting: list[Any]


class RuleTest(Open):
    """A dry run of the rule on a record: whether it would fire and what its actions would do."""


class ForecastDay(Reply):
    date: str = Field(description="a local date, YYYY-MM-DD")
    count: int


class RuleForecast(Reply):
    """The firings a timed rule has coming in the next ``days``: the first 1000 (soonest
    first), the exact ``total``, and the record firings per local day of the window (every
    day, zero too; one already due counts today)."""

    days: int
    items: list[Any]
    total: int
    per_day: list[ForecastDay]


class RuleProblem(Reply):
    """One error of a draft: the input it is about (dotted: ``trigger.cron``,
    ``actions.2.body``, ``actions.1.to.0``), its text in the caller's language, its code."""

    loc: str
    message: str
    code: str


class RuleValidation(Reply):
    """A draft checked as saving would check it."""

    ok: bool
    errors: list[RuleProblem]
    condition_type: str | None = Field(
        description="the condition's type as written (boolean, number …); null: none or invalid"
    )
    schedule_next: list[str] = Field(
        description="a schedule's next five occurrences (UTC, ISO 8601)"
    )
    describe: str | None = None


class FormulaFunction(Reply):
    name: str
    zh: str
    category: str
    signature: str
    returns: str
    description: str


class FormulaFunctions(Reply):
    """The formula functions (the formula editor's help)."""

    items: list[FormulaFunction]


class InboundResult(Open):
    """What an inbound webhook did."""


# -- the working calendar -------------------------------------------------------------------


class WorkCalendar(Open):
    """The working hours and the year's holidays and make-up working days."""


class WorkingHoursReply(Reply):
    hours: dict[str, Any]


class CalendarDay(Reply):
    day: str
    is_workday: bool
    name: Any
