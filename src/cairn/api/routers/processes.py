"""Processes: definitions of an app (list, deploy BPMN, versions), starting one on a record,
the processes of a record; instances (timeline, withdraw, cancel); tasks (inbox and actions)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query, Request

from cairn.api.deps import PrincipalDep, ServicesDep
from cairn.api.models.processes import (
    ProcessDefinition,
    ProcessDiagram,
    ProcessInstance,
    ProcessInstanceList,
    ProcessList,
    ProcessValidation,
    ProcessVersions,
    ReassignResult,
    RecordProcesses,
    Task,
    TaskActionResult,
    TaskPage,
)
from cairn.api.problems import language
from cairn.api.schemas import BigCount, Id
from cairn.core.i18n import render
from cairn.services.process import MAX_PAGE

router = APIRouter(prefix="/api/v1", tags=["processes"])


@router.get("/apps/{app}/processes", response_model=ProcessList)
def list_processes(app: str, services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    """The app's process definitions (latest version of each, with how many versions)."""
    return services.processes.list_definitions(app)


@router.post("/apps/{app}/processes", status_code=201, response_model=ProcessDefinition)
def deploy_process(
    app: str, body: dict[str, Any], services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Deploy ``bpmn`` (BPMN 2.0 XML) as the next version of ``key`` (default: the process id);
    ``table`` binds it to a table, ``auto_start`` starts it on every new record."""
    return services.processes.deploy(app, body, principal)


@router.post("/apps/{app}/processes/validate", response_model=ProcessValidation)
def validate_process(
    app: str,
    body: dict[str, Any],
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """Every problem of ``bpmn`` (checked against ``table``, default: the process's binding),
    each on its element, in the request's language. ``ok``: nothing blocks deploying
    (warnings do not)."""
    lang = language(request)
    problems = []
    for loc, m, severity in services.processes.validate(app, body, principal):
        parts = loc.split(".")
        element = parts[1] if parts[0] == "bpmn" and len(parts) > 1 and parts[1] else None
        problems.append(
            {"element": element, "code": m.key, "message": render(m, lang), "severity": severity}
        )
    return {"ok": all(p["severity"] != "error" for p in problems), "problems": problems}


@router.get("/apps/{app}/processes/{key}", response_model=ProcessDefinition)
def get_process(
    app: str,
    key: str,
    services: ServicesDep,
    principal: PrincipalDep,
    version: Id | None = None,
) -> dict[str, Any]:
    return services.processes.get_definition(app, key, version)


@router.get("/apps/{app}/processes/{key}/versions", response_model=ProcessVersions)
def process_versions(
    app: str, key: str, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    return services.processes.versions(app, key)


@router.post("/apps/{app}/processes/{key}/start", status_code=201, response_model=ProcessInstance)
def start_process(
    app: str, key: str, body: dict[str, Any], services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Start the latest version (or ``version``) on ``record_id``: 403 for one not among its
    starters, or for a process only a rule starts (administrators may always)."""
    return services.processes.start(app, key, body, principal)


@router.get(
    "/apps/{app}/tables/{table}/records/{record_id}/processes", response_model=RecordProcesses
)
def record_processes(
    app: str, table: str, record_id: Id, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The processes of a record, with where each stands, and those the caller may start."""
    return services.processes.of_record(app, table, record_id, principal)


@router.get("/process-instances", response_model=ProcessInstanceList)
def list_instances(
    services: ServicesDep,
    principal: PrincipalDep,
    app: str | None = None,
    process: str | None = Query(None, description="a process key"),
    status: str | None = Query(
        None,
        description="running, error, completed (or done), rejected, withdrawn or cancelled",
    ),
    overdue: bool = Query(False, description="only those with an open step past its due date"),
    q: str | None = Query(None, max_length=100, description="in record title and process name"),
    limit: int = Query(50, ge=1, le=MAX_PAGE),
    offset: BigCount = 0,
) -> dict[str, Any]:
    """Instances newest first, with their open steps (assignee, due date, how late) and
    incident: administrators see every app, an app's managers that app; others get 403."""
    filters = {"app": app, "process": process, "status": status, "overdue": overdue, "q": q}
    return services.processes.list_instances(principal, filters, limit, offset)


@router.get("/process-instances/{instance_id}", response_model=ProcessInstance)
def get_instance(instance_id: Id, services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    """The timeline: every step with assignee, start, end, duration, action and comment."""
    return services.processes.instance(instance_id, principal)


@router.get("/process-instances/{instance_id}/diagram", response_model=ProcessDiagram)
def instance_diagram(
    instance_id: Id, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The instance's version as BPMN XML with the element ids ``done`` and ``current``."""
    return services.processes.diagram(instance_id, principal)


@router.post("/process-instances/{instance_id}/withdraw", response_model=ProcessInstance)
def withdraw_instance(
    instance_id: Id, body: dict[str, Any], services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    return services.processes.withdraw(instance_id, body, principal)


@router.post("/process-instances/{instance_id}/cancel", response_model=ProcessInstance)
def cancel_instance(
    instance_id: Id, body: dict[str, Any], services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Administrators, with a ``reason``."""
    return services.processes.cancel(instance_id, body, principal)


@router.post("/process-instances/{instance_id}/retry", response_model=ProcessInstance)
def retry_instance(
    instance_id: Id, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Administrators: run the failed service task of an instance in status ``error`` again."""
    return services.processes.retry(instance_id, principal)


@router.post("/process-tasks/reassign", response_model=ReassignResult)
def reassign_tasks(
    body: dict[str, Any], services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Administrators: every open task of ``from_user`` (id or user name; of ``app`` only, if
    given) goes to ``to_user`` (an active user, not the same) in one transaction, each one
    audited and noted in its timeline, the new assignee notified. ``moved``: how many."""
    return services.processes.reassign(body, principal)


@router.get("/tasks", response_model=TaskPage)
def inbox(
    services: ServicesDep,
    principal: PrincipalDep,
    box: str = Query("mine", description="mine, claimable, overdue or done"),
    app: str | None = None,
    table: str | None = Query(None, description="a table key (with app)"),
    process: str | None = Query(None, description="a process key"),
    step: str | None = None,
    instance_id: Id | None = None,
    since: date | None = Query(None, description="created on or after this day"),
    until: date | None = Query(None, description="created on or before this day"),
    q: str | None = Query(None, max_length=100, description="in step, process and record title"),
    limit: int = Query(50, ge=1, le=MAX_PAGE),
    offset: BigCount = 0,
) -> dict[str, Any]:
    """A box of the inbox: open tasks overdue first, then due soonest, then newest; done
    ones latest first. ``total``: how many match."""
    filters = {
        "app": app,
        "table": table,
        "process": process,
        "step": step,
        "instance_id": instance_id,
        "since": since,
        "until": until,
        "q": q,
    }
    return services.processes.inbox(principal, box, filters, limit, offset)


@router.get("/tasks/counts", response_model=dict[str, int])
def inbox_counts(services: ServicesDep, principal: PrincipalDep) -> dict[str, int]:
    return services.processes.counts(principal)


@router.get("/tasks/{task_id}", response_model=Task)
def get_task(task_id: Id, services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    return services.processes.task(task_id, principal)


@router.post("/tasks/{task_id}/{action}", response_model=TaskActionResult)
def task_action(
    task_id: Id,
    action: str,
    body: dict[str, Any],
    services: ServicesDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """complete, approve, reject (``comment``, ``data``: the step's editable fields,
    ``attachments``: file ids), return (``to_step``, ``comment``), transfer / delegate (``to``),
    add_signer (``to``), comment, attach, claim. ``version``: the task's version as last read
    (optional; a task changed since gets 409)."""
    return services.processes.act(task_id, action, body, principal)
