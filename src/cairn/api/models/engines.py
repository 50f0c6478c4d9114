"""Replies of the engines' settings and runs: rules, processes and tasks and the working
calendar (dashboards, reports, KPIs and alerts: ``reports``; notification channels:
``channels``; deliveries: ``deliveries``; the directory sync: ``directory``).

Definitions written by users (triggers, actions, widgets, BPMN variables) are free-form parts
(``Any``); the models name what every reply holds.
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


# -- processes and tasks -------------------------------------------------------------------


class InstanceCounts(Reply):
    """Instances running, finished (completed or rejected), in error, and cancelled (withdrawn
    or cancelled)."""

    running: int
    finished: int
    error: int
    cancelled: int


class ProcessSummary(InstanceCounts):
    """A process: its latest version, how many versions, and the instances of all of them."""

    id: int
    key: str
    name: str
    version: int
    table: str | None
    auto_start: bool
    versions: int


class ProcessVersion(InstanceCounts):
    """One deployed version and its instances."""

    id: int
    version: int
    name: str
    created_at: str | None
    created_by: int | None


class ProcessList(Reply):
    items: list[ProcessSummary]


class ValidationProblem(Reply):
    """A problem of a BPMN file: on which element (None: the file), its code and text, and
    whether it blocks deploying (``error``) or not (``warning``)."""

    element: str | None
    code: str
    message: str
    severity: str


class ProcessValidation(Reply):
    ok: bool
    problems: list[ValidationProblem]


class ProcessDefinition(Open):
    """A deployed process definition (with its BPMN XML where asked)."""


class ProcessVersions(Reply):
    items: list[ProcessVersion]


class ProcessRef(Reply):
    key: str
    name: str
    version: int | None = None


class ProcessInstance(Reply):
    """A process instance: its state, the open steps, every step and the timeline."""

    id: int
    process: ProcessRef
    app: str
    table: str | None
    record_id: int | None
    record_title: str | None
    status: str
    initiator_id: int | None
    initiator: str | None
    started_at: str | None
    ended_at: str | None
    reason: str | None
    timer_due_at: str | None
    incident: Any
    current: list[dict[str, Any]]
    steps: list[dict[str, Any]]
    events: list[dict[str, Any]]


class Incident(Reply):
    """What stopped an instance (status ``error``): the failed service task and its error."""

    task: str | None = None
    step: str | None = None
    #: The step's name as drawn.
    name: str | None = None
    index: int | None = None
    type: str | None = None
    #: The error in English; ``errors``: in each language of the UI (newer incidents).
    error: str | None = None
    errors: dict[str, str] | None = None
    at: str | None = None


class CurrentStep(Reply):
    """An open step of an instance, with whom it waits for and how late it is."""

    task_id: int
    step: str
    name: str | None
    assignee_id: int | None
    assignee: str | None
    candidate: str | None
    due_at: str | None
    overdue: bool
    overdue_seconds: int | None


class ProcessInstanceItem(Reply):
    """An instance in the administrators' list."""

    id: int
    process: ProcessRef
    app: str | None
    table: str | None
    record_id: int | None
    record_title: str | None
    status: str
    initiator_id: int | None
    initiator: str | None
    started_at: str | None
    ended_at: str | None
    current: list[CurrentStep]
    incident: Incident | None


class ProcessInstanceList(Reply):
    """A page of instances, newest first; ``total``: how many match."""

    items: list[ProcessInstanceItem]
    total: int
    limit: int
    offset: int


class ReassignResult(Reply):
    moved: int


class ProcessDiagram(Reply):
    """An instance drawn on its version's diagram: the BPMN XML, the element ids done and
    those where it stands now, and its incident (a failed step) if any."""

    id: int
    process: ProcessRef
    status: str
    bpmn: str
    done: list[str]
    current: list[str]
    incident: Any


class RecordProcesses(Reply):
    """A record's process instances (with their open steps) and the processes the caller
    may start on it (the latest version of each)."""

    items: list[Open]
    startable: list[ProcessRef]


class TaskSummary(Reply):
    """A task as the inbox lists it."""

    id: int
    instance_id: int
    process: ProcessRef
    app: str | None
    table: str | None
    record_title: str | None
    step: str
    name: str | None
    kind: str
    status: str
    assignee_id: int | None
    assignee: str | None
    candidate: Any
    due_at: str | None
    overdue: bool
    #: How late an open overdue task is.
    overdue_seconds: int | None
    created_at: str | None
    completed_at: str | None
    action: str | None
    table_id: int | None
    record_id: int | None
    escalation_level: int | None
    version: int


class TaskPage(Reply):
    """A page of the inbox."""

    items: list[TaskSummary]
    total: int
    limit: int
    offset: int


class TaskFormField(Reply):
    key: str
    access: str
    required: bool


class ReturnTarget(Reply):
    """A step a task may be returned to."""

    step: str
    name: str


class Task(Reply):
    """A user task, with its step form, the record's fields the form shows and what can be
    done with it (as the step allows: ``actions``; ``comment_required``: the actions needing
    a comment; ``return_targets``: where a return may go)."""

    id: int
    instance_id: int
    process: ProcessRef
    app: str | None
    table: str | None
    record_id: int | None
    record_title: str | None
    step: str
    name: str | None
    kind: str
    status: str
    assignee_id: int | None
    candidate: Any
    due_at: str | None
    created_at: str | None
    completed_at: str | None
    action: str | None
    comment: str | None
    escalation_level: int | None
    version: int
    sign: Any
    form: list[TaskFormField]
    record: dict[str, Any] | None
    returnable_steps: list[str]
    return_targets: list[ReturnTarget]
    comment_required: list[str]
    actions: list[str]


class TaskActionResult(Open):
    """What a task action did."""


# -- the working calendar -------------------------------------------------------------------


class WorkCalendar(Open):
    """The working hours and the year's holidays and make-up working days."""


class WorkingHoursReply(Reply):
    hours: dict[str, Any]


class CalendarDay(Reply):
    day: str
    is_workday: bool
    name: Any
