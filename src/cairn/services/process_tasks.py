"""Tasks as use cases: act on a task (the action itself is in ``process.task_actions``), a
task with its step form, the inbox and its counts.

An action is at most two transactions: the step's record edits first (through the records
service: validation, history, outbox), then the process step (instance state, task mirror,
timeline, audit). The task row carries a version: two actors on one task cannot both win;
the loser gets 409 and changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Entry, Principal
from cairn.core import Conflict, Forbidden, Invalid, Message
from cairn.forms import runtime as form_runtime
from cairn.meta import is_blank
from cairn.process import Step, inbox, repo, views
from cairn.process import assignees as people
from cairn.process.instance import tasks_changed
from cairn.process.task_actions import TaskCall, check_actor, claimed_by
from cairn.services.process_instances import may_see
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import TableSchema
from cairn.store import files as store_files
from cairn.store import records as store_records

if TYPE_CHECKING:
    from cairn.process.runtime import Runtime
    from cairn.services.context import Services


def relation_titles(
    uow: UnitOfWork, table_id: int | None, shown: set[str]
) -> dict[str, str | None]:
    """The relation fields a step shows (all of them when the step lists none), each with the
    display field of the table it links to: the task shows a linked record by its title."""
    if table_id is None:
        return {}
    schema = uow.catalog.schema(table_id)
    out: dict[str, str | None] = {}
    for f in schema.fields:
        if f.is_relation and (not shown or f.key in shown):
            target = uow.catalog.schema(int(f.options["target_table_id"]))
            display = target.display_field
            out[f.key] = display.key if display is not None else None
    return out


def link_titles(value: Any, title: str | None) -> Any:
    """An expanded relation value reduced to what the form shows: ``{"id", title}`` each
    (the linked record's other fields are not the task's to show)."""

    def one(v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        return {"id": v.get("id"), **({title: v.get(title)} if title else {})}

    return [one(v) for v in value] if isinstance(value, list) else one(value)


class ProcessTasks:
    s: Services
    runtime: Runtime

    def act(
        self, task_id: int, action: str, body: dict[str, Any], principal: Principal
    ) -> dict[str, Any]:
        actions = self.s.task_actions
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
        rt = self.runtime
        with unit_of_work(self.s, write=False) as uow:  # the system's view of the record
            t = repo.task(uow.conn, task_id)
            inst = repo.instance(uow.conn, t.instance_id)
            drow = rt.definition_row(uow, inst.definition_id)
            step = rt.definition(drow).model.step(t.step_id)
            check_actor(uow.conn, t, handler, principal)
            if not step.allows(action):
                raise Invalid.on("action", "task.action_not_allowed", action=action)
            if step.needs_comment(action) and not (comment or "").strip():
                raise Invalid.on("comment", "process.comment_required", action=action)
            if expected is not None and expected != t.version:
                raise Conflict("task.stale", expected=expected, actual=t.version)
            attachments = self._attachments(uow, body.get("attachments"))
            schema = uow.catalog.schema(t.table_id) if t.table_id else None
            if inst.status == "error":
                raise Conflict("process.failed")
            if inst.status != "running":
                raise Conflict("process.not_running", status=inst.status)
            record = rt.record_in(uow, schema, inst.record_id)
        seen = t.version
        data = body.get("data") or {}
        with unit_of_work(self.s, principal=principal) as uow:
            # The work item first: a second actor on it (claim race, complete twice) waits
            # here, then finds another version: 409, and nothing of theirs is written.
            if not repo.take_task(uow.conn, task_id, seen):
                now = repo.task(uow.conn, task_id)
                if now.status != "open":
                    raise Conflict("task.not_open")
                if handler.claims and now.assignee_id not in (None, principal.user_id):
                    raise claimed_by(uow.conn, now)
                raise Conflict("task.stale", expected=seen, actual=now.version)
            t = repo.task(uow.conn, task_id)
            check_actor(uow.conn, t, handler, principal, taken=True)
            row = repo.instance(uow.conn, t.instance_id)
            if row.status != "running":
                raise Conflict("process.not_running", status=row.status)
            if handler.writes_form and data:
                record = self._write_form(uow, schema, row, step, data, record)
            if handler.decides and t.kind == "task":
                # A field the step's form hides by its linkage rules is not required.
                state = (
                    form_runtime.state_of(uow, schema, step.form_variant, record)
                    if schema
                    else None
                )
                hidden = state.hidden if state is not None else frozenset()
                missing = [
                    k for k in sorted(step.required) if k not in hidden and is_blank(record.get(k))
                ]
                if missing:
                    required = Message("field.required", {})
                    raise Invalid("invalid.input", {k: [required] for k in missing})
            L = rt.load(uow, row, record)
            call = TaskCall(uow, L, t, step, principal.user_id, comment, attachments, body)
            handler.run(rt, call)
            rt.save(uow, L)
            uow.audit(
                Entry(
                    f"task.{action}",
                    "task",
                    t.id,
                    t.app_id,
                    t.table_id,
                    {"instance_id": t.instance_id, "step": t.step_id, "comment": comment},
                )
            )
            after = repo.task(uow.conn, task_id)
            current = repo.instance_tasks(uow.conn, row.id, ["open"])
            return views.act_json(after, row, L.status, L.meta, current)

    def reassign(self, body: dict[str, Any], principal: Principal) -> dict[str, int]:
        """An administrator moves every open task of ``from_user`` (of ``app`` only, if given)
        to ``to_user`` in one transaction: each gets a "reassigned" entry in its timeline and
        the audit log, and the new assignee a notification. ``moved``: how many."""
        if not principal.is_admin or principal.read_only:
            raise Forbidden("auth.admin_only")
        app = body.get("app")
        if app is not None and not isinstance(app, str):
            raise Invalid.on("app", "value.text")
        with unit_of_work(self.s, principal=principal) as uow:
            source = people.any_user_id(uow.conn, body.get("from_user"))
            if source is None:
                raise Invalid.on("from_user", "task.user_unknown")
            target = people.user_id(uow.conn, body.get("to_user"))
            if target is None:
                known = people.any_user_id(uow.conn, body.get("to_user")) is not None
                code = "process.reassign_inactive" if known else "task.user_unknown"
                raise Invalid.on("to_user", code)
            if target == source:
                raise Invalid.on("to_user", "process.reassign_same")
            app_id = uow.catalog.app(app).id if app else None
            rows = repo.open_tasks_of_user(uow.conn, source, app_id)
            details = {"from": source, "to": target}
            for t in rows:
                repo.update_task(uow.conn, t.id, assignee_id=target, delegated_from=source)
                repo.add_event(
                    uow.conn,
                    instance_id=t.instance_id,
                    task_id=t.id,
                    step_id=t.step_id,
                    step_name=t.step_name,
                    actor_id=principal.user_id,
                    action="reassigned",
                    details=details,
                    at=uow.now,
                )
                uow.audit(
                    Entry(
                        "task.reassign",
                        "task",
                        t.id,
                        t.app_id,
                        t.table_id,
                        {"instance_id": t.instance_id, "step": t.step_id, **details},
                    )
                )
                self.runtime.ports.notifier(uow, t).notify(
                    instance_id=t.instance_id,
                    user_id=target,
                    subject=f"{t.step_name}: {t.record_title or ''}".rstrip(": "),
                    body="reassigned",
                    link=f"/tasks/{t.id}",
                    key=f"task:{t.id}:reassign:{t.version + 1}",
                )
            for instance in {t.instance_id: t for t in rows}.values():
                uow.emit(tasks_changed(instance, instance.instance_id))
            return {"moved": len(rows)}

    def _attachments(self, uow: UnitOfWork, value: Any) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise Invalid.on("attachments", "value.choices")
        found = {r.id for r in store_files.rows(uow.conn, value)}
        missing = [v for v in value if v not in found]
        if missing:
            raise Invalid.on("attachments", "task.file_unknown", id=missing[0])
        return list(value)

    def _write_form(
        self,
        uow: UnitOfWork,
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
        self.s.records.bulk_in(
            uow,
            schema.app.key,
            schema.table.key,
            [item],
            single=True,
            return_items=False,
            form=step.form_variant,
            form_fields=frozenset(f.key for f in step.form) or None,
        )
        as_system = UnitOfWork(self.s, uow.conn, None, SYSTEM)
        return self.runtime.record_in(as_system, schema, inst.record_id)

    # -- reads -----------------------------------------------------------------------------
    def task(self, task_id: int, principal: Principal, with_record: bool = True) -> dict[str, Any]:
        """A task with its step form, the record's fields the form shows and what can be done."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            t = repo.task(uow.conn, task_id)
            row = repo.instance(uow.conn, t.instance_id)
            may_see(uow, row, principal)
            drow = self.runtime.definition_row(uow, row.definition_id)
            model = self.runtime.definition(drow).model
            step = model.step(t.step_id)
            passed = []
            for r in repo.instance_tasks(uow.conn, row.id, ["done"]):
                if r.kind == "task" and r.step_id != t.step_id and r.step_id not in passed:
                    passed.append(r.step_id)
            where = {"model": model, **self._where(uow, t.app_id, t.table_id, t.record_id)}
            shown = {f.key for f in step.form}
            links = relation_titles(uow, t.table_id, shown)
        record = (
            self.runtime.read_record(row.table_id, row.record_id, list(links))
            if with_record
            else {}
        )
        if step.form and record:
            record = {k: v for k, v in record.items() if k in shown or k in ("id", "version")}
        for key, title in links.items():  # a linked record shows as its id and title only
            record[key] = link_titles(record.get(key), title)
        return views.task_json(t, drow, step, record, passed, where)

    def _where(
        self, uow: UnitOfWork, app_id: int, table_id: int | None, record_id: int | None
    ) -> dict[str, Any]:
        """The app and table keys of a task or instance and its record's title (live)."""
        if table_id is None:
            apps = {a.id: a.key for a in uow.catalog.live_apps()}
            return {"app": apps.get(app_id), "table": None, "record_title": None}
        schema = uow.catalog.schema(table_id)
        title = None
        if record_id is not None:
            title = store_records.titles(uow.conn, schema, [record_id]).get(record_id)
        return {"app": schema.app.key, "table": schema.table.key, "record_title": title}

    def inbox(
        self, principal: Principal, box: str, filters: dict[str, Any], limit: int, offset: int
    ) -> dict[str, Any]:
        """A page of one of the caller's boxes (``process.inbox.page``)."""
        inbox.check_box(box)
        if principal.user_id is None:
            raise Forbidden("auth.forbidden")
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            return inbox.page(uow, principal.user_id, box, filters, limit, offset)

    def counts(self, principal: Principal) -> dict[str, int]:
        if principal.user_id is None:
            raise Forbidden("auth.forbidden")
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            return inbox.counts(uow, principal.user_id)
