"""Acting on a task: who may act, the step's form written, the action run (``task_actions``)
and the instance saved.

An action is at most two transactions: the step's record edits first (through the records'
write path, ``ports.ProcessPorts.write_form``: validation, history, outbox), then the process
step (instance state, task mirror, timeline, audit). The task row carries a version: two actors
on one task cannot both win; the loser gets 409 and changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Entry, Principal
from cairn.core import Conflict, Forbidden, Invalid, Message
from cairn.meta import is_blank
from cairn.process import repo, views
from cairn.process.model import Step
from cairn.process.task_actions import TaskActionRegistry, TaskCall, check_actor, claimed_by
from cairn.store import files as store_files

if TYPE_CHECKING:
    from cairn.process.ports import Work
    from cairn.process.runtime import Runtime
    from cairn.store import TableSchema


def act(
    rt: Runtime,
    actions: TaskActionRegistry,
    task_id: int,
    action: str,
    body: dict[str, Any],
    principal: Principal,
) -> dict[str, Any]:
    """Do ``action`` (a key of ``actions``) on task ``task_id`` as ``principal``; the task, its
    instance's status and the instance's open tasks afterwards (``views.act_json``)."""
    if action not in actions:
        raise Invalid.on("action", "task.action_unknown", action=action)
    handler = actions.get(action)
    if principal.user_id is None:
        raise Forbidden("auth.forbidden")
    if principal.read_only:
        raise Forbidden("auth.read_only_token")
    comment = body.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise Invalid.on("comment", "value.text")
    expected = body.get("version")
    if expected is not None and (not isinstance(expected, int) or isinstance(expected, bool)):
        raise Invalid.on("version", "value.integer")
    with rt.ports.work(write=False) as work:  # the system's view of the record
        t = repo.task(work.conn, task_id)
        inst = repo.instance(work.conn, t.instance_id)
        drow = rt.definition_row(work, inst.definition_id)
        step = rt.definition(drow).model.step(t.step_id)
        check_actor(work.conn, t, handler, principal)
        if not step.allows(action):
            raise Invalid.on("action", "task.action_not_allowed", action=action)
        if step.needs_comment(action) and not (comment or "").strip():
            raise Invalid.on("comment", "process.comment_required", action=action)
        if expected is not None and expected != t.version:
            raise Conflict("task.stale", expected=expected, actual=t.version)
        attachments = _attachments(work, body.get("attachments"))
        schema = work.catalog.schema(t.table_id) if t.table_id else None
        if inst.status == "error":
            raise Conflict("process.failed")
        if inst.status != "running":
            raise Conflict("process.not_running", status=inst.status)
        record = rt.record_in(work, schema, inst.record_id)
    seen = t.version
    data = body.get("data") or {}
    with rt.ports.work(principal=principal) as work:
        # The work item first: a second actor on it (claim race, complete twice) waits
        # here, then finds another version: 409, and nothing of theirs is written.
        if not repo.take_task(work.conn, task_id, seen):
            now = repo.task(work.conn, task_id)
            if now.status != "open":
                raise Conflict("task.not_open")
            if handler.claims and now.assignee_id not in (None, principal.user_id):
                raise claimed_by(work.conn, now)
            raise Conflict("task.stale", expected=seen, actual=now.version)
        t = repo.task(work.conn, task_id)
        check_actor(work.conn, t, handler, principal, taken=True)
        row = repo.instance(work.conn, t.instance_id)
        if row.status != "running":
            raise Conflict("process.not_running", status=row.status)
        if handler.writes_form and data:
            record = _write_form(rt, work, schema, row, step, data, record)
        if handler.decides and t.kind == "task":
            # A field the step's form hides by its linkage rules is not required.
            hidden = (
                rt.ports.hidden_fields(work, schema, step.form_variant, record)
                if schema
                else frozenset()
            )
            missing = [
                k for k in sorted(step.required) if k not in hidden and is_blank(record.get(k))
            ]
            if missing:
                required = Message("field.required", {})
                raise Invalid("invalid.input", {k: [required] for k in missing})
        L = rt.load(work, row, record)
        call = TaskCall(work, L, t, step, principal.user_id, comment, attachments, body)
        handler.run(rt, call)
        rt.save(work, L)
        work.audit(
            Entry(
                f"task.{action}",
                "task",
                t.id,
                t.app_id,
                t.table_id,
                {"instance_id": t.instance_id, "step": t.step_id, "comment": comment},
            )
        )
        after = repo.task(work.conn, task_id)
        current = repo.instance_tasks(work.conn, row.id, ["open"])
        return views.act_json(after, row, L.status, L.meta, current)


def _attachments(work: Work, value: Any) -> list[str]:
    """The files an action attaches: ids of stored files (400 naming the first unknown)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid.on("attachments", "value.choices")
    found = {r.id for r in store_files.rows(work.conn, value)}
    missing = [v for v in value if v not in found]
    if missing:
        raise Invalid.on("attachments", "task.file_unknown", id=missing[0])
    return list(value)


def _write_form(
    rt: Runtime,
    work: Work,
    schema: TableSchema | None,
    inst: Any,
    step: Step,
    data: Any,
    record: dict[str, Any],
) -> dict[str, Any]:
    """The step's editable fields, written in the step's transaction as the acting user
    (history and audit show them; their table, row and field permissions apply: a field
    read-only for them stays so even where the step form says "edit"). Fields outside
    the step's form are refused. The record as the system sees it afterwards."""
    if not isinstance(data, dict):
        raise Invalid.on("data", "value.choices")
    if schema is None or inst.record_id is None:
        raise Invalid.on("data", "task.no_record")
    editable = step.editable
    for k in data:
        if k not in editable:
            raise Invalid.on(f"data.{k}", "task.field_not_editable", key=k)
    item = {**data, "id": inst.record_id, "version": record.get("version")}
    # The step's form: its variant's (or the default form's) linkage rules, over the
    # fields the step shows (a field it does not show is not required).
    rt.ports.write_form(
        work,
        schema,
        item,
        form=step.form_variant,
        form_fields=frozenset(f.key for f in step.form) or None,
    )
    return rt.record_in(work.viewed_as(SYSTEM), schema, inst.record_id)
