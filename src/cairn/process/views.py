"""What the API shows of definitions, instances and tasks: JSON shapes built from rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cairn.process.engine import Definition
from cairn.process.instance import iso
from cairn.process.model import Step
from cairn.process.model_steps import STEP_ACTIONS


def step_json(s: Step) -> dict[str, Any]:
    d = s.deadline
    return {
        "id": s.id,
        "name": s.name,
        "sign": s.sign,
        "assignees": [{"type": r.kind, "value": r.value} for r in s.assignees],
        "candidates": list(s.candidates),
        "form": form_json(s),
        "form_variant": s.form_variant,
        "deadline": None
        if d is None
        else {
            "duration_seconds": int(d.duration.total_seconds()) if d.duration else None,
            "field": d.field,
            "calendar": d.calendar,
            "reminder_seconds": int(d.reminder.total_seconds()) if d.reminder else None,
        },
        "escalations": [
            {
                "after_seconds": int(e.after.total_seconds()),
                "notify": e.notify,
                "reassign": e.reassign,
            }
            for e in s.escalations
        ],
        "return_policy": s.return_policy,
        "on_reject": s.on_reject,
        "actions": list(s.allow) if s.allow is not None else list(STEP_ACTIONS),
        "return_to": list(s.return_to),
        "comment_required": comment_required(s),
    }


def comment_required(s: Step) -> list[str]:
    """The actions of step ``s`` that need a comment (``complete`` goes with ``approve``)."""
    out = list(s.comment_required)
    if "approve" in out and "complete" not in out:
        out.append("complete")
    return out


def form_json(s: Step) -> list[dict[str, Any]]:
    return [{"key": f.key, "access": f.access, "required": f.required} for f in s.form]


def start_mode(row: Any, d: Definition) -> str:
    """How a deployed version starts: ``manual``, ``create`` or ``rule`` (as deployed; rows
    from before the start mode was kept: on create when so deployed, else as the XML says)."""
    options = row.options or {}
    if options.get("start"):
        return str(options["start"])
    if options.get("auto_start"):
        return "create"
    return "manual" if d.model.start == "create" else d.model.start


def starters_json(d: Definition) -> dict[str, list[Any]]:
    st = d.model.starters
    return {"roles": list(st.roles), "departments": list(st.departments), "users": list(st.users)}


def definition_json(row: Any, d: Definition, table: str | None, with_xml: bool) -> dict[str, Any]:
    out = {
        "id": row.id,
        "key": row.key,
        "name": row.name,
        "version": row.version,
        "table": table,
        "auto_start": bool((row.options or {}).get("auto_start")),
        "start": start_mode(row, d),
        "starters": starters_json(d),
        "created_at": iso(row.created_at),
        "steps": [step_json(s) for s in d.model.steps.values()],
    }
    if with_xml:
        out["bpmn"] = row.bpmn
    return out


def instance_json(
    row: Any,
    drow: Any,
    app: str,
    table: str | None,
    items: list[Any],
    evs: list[Any],
    names: dict[int, str],
    now: datetime,
) -> dict[str, Any]:
    """An instance with its timeline: steps (assignee, start, end, duration, action,
    comment), every event, and where it stands now."""
    steps = []
    for t in items:
        end = t.completed_at
        steps.append(
            {
                "task_id": t.id,
                "step": t.step_id,
                "name": t.step_name,
                "kind": t.kind,
                "assignee_id": t.assignee_id,
                "assignee": names.get(t.assignee_id),
                "candidate": t.candidate,
                "status": t.status,
                "started_at": iso(t.created_at),
                "ended_at": iso(end),
                "duration_seconds": int(((end or now) - t.created_at).total_seconds()),
                "due_at": iso(t.due_at),
                "overdue": bool(t.due_at and (end or now) > t.due_at),
                "escalation_level": t.escalation_level,
                "action": t.action,
                "comment": t.comment,
                "attachments": t.attachments or [],
            }
        )
    return {
        "id": row.id,
        "process": {"key": drow.key, "name": drow.name, "version": drow.version},
        "app": app,
        "table": table,
        "record_id": row.record_id,
        "record_title": row.record_title,
        "status": row.status,
        "initiator_id": row.initiator_id,
        "initiator": names.get(row.initiator_id),
        "started_at": iso(row.started_at),
        "ended_at": iso(row.ended_at),
        "reason": row.reason,
        "timer_due_at": iso(row.timer_due_at),
        "incident": (row.meta or {}).get("incident") if row.status == "error" else None,
        "current": [
            {"task_id": s["task_id"], "step": s["step"], "name": s["name"]}
            for s in steps
            if s["status"] == "open"
        ],
        "steps": steps,
        "events": [
            {
                "id": e.id,
                "at": iso(e.at),
                "action": e.action,
                "step": e.step_id,
                "name": e.step_name,
                "task_id": e.task_id,
                "actor_id": e.actor_id,
                "actor": names.get(e.actor_id),
                "comment": e.comment,
                "details": e.details or {},
            }
            for e in evs
        ],
    }


def diagram_json(row: Any, drow: Any, done: list[str], current: list[str]) -> dict[str, Any]:
    return {
        "id": row.id,
        "process": {"key": drow.key, "name": drow.name, "version": drow.version},
        "status": row.status,
        "bpmn": drow.bpmn,
        "done": done,
        "current": current,
        "incident": (row.meta or {}).get("incident") if row.status == "error" else None,
    }


def available_actions(t: Any, step: Step, passed: list[str]) -> list[str]:
    """What can be done to task ``t`` now (``passed``: the steps it may return to), as the
    step allows."""
    actions = ["comment", "attach"]
    if t.status == "open":
        if t.assignee_id is None:
            actions = ["claim"]
        else:
            actions = ["complete", "approve", "reject", "transfer", "delegate", *actions]
            if passed and t.kind == "task":
                actions.append("return")
            if step.sign:
                actions.append("add_signer")
    return [a for a in actions if step.allows(a)]


def return_targets(step: Step, passed: list[str], model: Any) -> list[dict[str, str]]:
    """The steps a task of ``step`` may return to: those passed, as ``returnTo`` limits them."""
    wanted = [p for p in passed if not step.return_to or p in step.return_to]
    return [{"step": p, "name": model.step(p).name} for p in wanted]


def task_json(
    t: Any,
    drow: Any,
    step: Step,
    record: dict[str, Any],
    passed: list[str],
    where: dict[str, Any],
) -> dict[str, Any]:
    """``where``: the task's ``app`` and ``table`` keys, ``record_title`` and the definition's
    ``model`` (to name the return targets)."""
    targets = return_targets(step, passed, where["model"])
    returnable = [r["step"] for r in targets]
    return {
        "id": t.id,
        "instance_id": t.instance_id,
        "process": {"key": drow.key, "name": drow.name, "version": drow.version},
        "app": where["app"],
        "table": where["table"],
        "record_id": t.record_id,
        "record_title": where["record_title"],
        "step": t.step_id,
        "name": t.step_name,
        "kind": t.kind,
        "status": t.status,
        "assignee_id": t.assignee_id,
        "candidate": t.candidate,
        "due_at": iso(t.due_at),
        "created_at": iso(t.created_at),
        "completed_at": iso(t.completed_at),
        "action": t.action,
        "comment": t.comment,
        "escalation_level": t.escalation_level,
        "version": t.version,
        "sign": step.sign,
        "form": form_json(step),
        "form_variant": step.form_variant,
        "record": record,
        "returnable_steps": returnable,
        "return_targets": targets,
        "comment_required": comment_required(step),
        "actions": available_actions(t, step, returnable),
    }


def overdue_seconds(due_at: datetime | None, status: str, now: datetime) -> int | None:
    """How late an open task is (None when it is not)."""
    if due_at is None or status != "open" or due_at >= now:
        return None
    return int((now - due_at).total_seconds())


def list_item(
    r: Any, open_tasks: list[Any], now: datetime, keys: dict[str, Any], names: dict[int, str]
) -> dict[str, Any]:
    """An instance as the administrators' list shows it: where it stands (each open step with
    its assignee and how late it is) and the incident that stopped it."""
    incident = (r.meta or {}).get("incident") if r.status == "error" else None
    current = []
    for t in open_tasks:
        late = overdue_seconds(t.due_at, "open", now)
        current.append(
            {
                "task_id": t.id,
                "step": t.step_id,
                "name": t.step_name,
                "assignee_id": t.assignee_id,
                "assignee": names.get(t.assignee_id),
                "candidate": t.candidate,
                "due_at": iso(t.due_at),
                "overdue": late is not None,
                "overdue_seconds": late,
            }
        )
    return {
        "id": r.id,
        "process": {"key": r.key, "name": r.name, "version": r.version},
        "app": keys["apps"].get(r.app_id),
        "table": keys["tables"].get(r.table_id),
        "record_id": r.record_id,
        "record_title": r.record_title,
        "status": r.status,
        "initiator_id": r.initiator_id,
        "initiator": names.get(r.initiator_id),
        "started_at": iso(r.started_at),
        "ended_at": iso(r.ended_at),
        "current": current,
        "incident": incident,
    }


def inbox_item(
    r: Any, now: datetime, keys: dict[str, Any], names: dict[int, str]
) -> dict[str, Any]:
    """``keys``: ``apps`` and ``tables`` (id → key); ``names``: user display names."""
    late = overdue_seconds(r.due_at, r.status, now)
    return {
        "id": r.id,
        "instance_id": r.instance_id,
        "process": {"key": r.process_key, "name": r.process_name},
        "app": keys["apps"].get(r.app_id),
        "table": keys["tables"].get(r.table_id),
        "record_title": r.record_title,
        "assignee": names.get(r.assignee_id),
        "overdue_seconds": late,
        "step": r.step_id,
        "name": r.step_name,
        "kind": r.kind,
        "status": r.status,
        "assignee_id": r.assignee_id,
        "candidate": r.candidate,
        "due_at": iso(r.due_at),
        "overdue": late is not None,
        "created_at": iso(r.created_at),
        "completed_at": iso(r.completed_at),
        "action": r.action,
        "table_id": r.table_id,
        "record_id": r.record_id,
        "escalation_level": r.escalation_level,
        "version": r.version,
    }


def act_json(after: Any, row: Any, status: str, meta: dict[str, Any], current: list[Any]):
    """The reply to a task action: the task as it is now and where the instance stands."""
    return {
        "task": {
            "id": after.id,
            "step": after.step_id,
            "name": after.step_name,
            "status": after.status,
            "assignee_id": after.assignee_id,
            "action": after.action,
            "comment": after.comment,
            "version": after.version,
        },
        "instance": {
            "id": row.id,
            "status": status,
            "incident": meta.get("incident") if status == "error" else None,
            "current": [
                {
                    "task_id": r.id,
                    "step": r.step_id,
                    "name": r.step_name,
                    "assignee_id": r.assignee_id,
                    "candidate": r.candidate,
                }
                for r in current
            ],
        },
    }
