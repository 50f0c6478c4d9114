"""An administrator's bulk reassignment: every open task of one user (of one app, if given)
moves to another in one transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import Entry, Principal
from cairn.core import Forbidden, Invalid
from cairn.process import assignees as people
from cairn.process import repo
from cairn.process.instance import tasks_changed

if TYPE_CHECKING:
    from cairn.process.runtime import Runtime


def reassign(rt: Runtime, body: dict[str, Any], principal: Principal) -> dict[str, int]:
    """Move every open task of ``from_user`` (of ``app`` only, if given) to ``to_user``: each
    gets a "reassigned" entry in its timeline and the audit log, and the new assignee a
    notification. ``moved``: how many."""
    if not principal.is_admin or principal.read_only:
        raise Forbidden("auth.admin_only")
    app = body.get("app")
    if app is not None and not isinstance(app, str):
        raise Invalid.on("app", "value.text")
    with rt.ports.work(principal=principal) as work:
        source = people.any_user_id(work.conn, body.get("from_user"))
        if source is None:
            raise Invalid.on("from_user", "task.user_unknown")
        target = people.user_id(work.conn, body.get("to_user"))
        if target is None:
            known = people.any_user_id(work.conn, body.get("to_user")) is not None
            code = "process.reassign_inactive" if known else "task.user_unknown"
            raise Invalid.on("to_user", code)
        if target == source:
            raise Invalid.on("to_user", "process.reassign_same")
        app_id = work.catalog.app(app).id if app else None
        rows = repo.open_tasks_of_user(work.conn, source, app_id)
        details = {"from": source, "to": target}
        for t in rows:
            repo.update_task(work.conn, t.id, assignee_id=target, delegated_from=source)
            repo.add_event(
                work.conn,
                instance_id=t.instance_id,
                task_id=t.id,
                step_id=t.step_id,
                step_name=t.step_name,
                actor_id=principal.user_id,
                action="reassigned",
                details=details,
                at=work.now,
            )
            work.audit(
                Entry(
                    "task.reassign",
                    "task",
                    t.id,
                    t.app_id,
                    t.table_id,
                    {"instance_id": t.instance_id, "step": t.step_id, **details},
                )
            )
            rt.ports.notifier(work, t).notify(
                instance_id=t.instance_id,
                user_id=target,
                subject=f"{t.step_name}: {t.record_title or ''}".rstrip(": "),
                body="reassigned",
                link=f"/tasks/{t.id}",
                key=f"task:{t.id}:reassign:{t.version + 1}",
            )
        for instance in {t.instance_id: t for t in rows}.values():
            work.emit(tasks_changed(instance, instance.instance_id))
        return {"moved": len(rows)}
