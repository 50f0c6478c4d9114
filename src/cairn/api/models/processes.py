"""Replies of the process engine: process definitions and their versions, BPMN validation,
instances (timeline, diagram, incidents) and tasks (the inbox, a task and its actions).

BPMN variables and the steps of a timeline are free-form parts (``Any``); the models name what
every reply holds.
"""

from __future__ import annotations

from typing import Any

from cairn.api.models.base import Open, Reply


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
    #: The table's form (a variant's key) whose layout and linkage rules the step follows;
    #: null: the table's default form.
    form_variant: str | None = None
    record: dict[str, Any] | None
    returnable_steps: list[str]
    return_targets: list[ReturnTarget]
    comment_required: list[str]
    actions: list[str]


class TaskActionResult(Open):
    """What a task action did."""
