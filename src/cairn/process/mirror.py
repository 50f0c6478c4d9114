"""The task mirror: the ready user tasks of an instance's workflow as rows of ``tasks`` (who
has them, when they are due, when to remind), and the timeline entries of tasks."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from cairn.core import Event
from cairn.process import assignees as people
from cairn.process import deadlines, repo
from cairn.process.instance import ADMINS, Loaded, as_utc, iso, record_title
from cairn.process.model import Step

if TYPE_CHECKING:
    import sqlalchemy as sa

    from cairn.process.ports import ProcessPorts, Work

#: ``meta`` key: engine task id → the signers still to come of a step signed in turn.
QUEUES = "sign_queue"


def groups(conn: sa.Connection, user_id: int, is_admin: bool) -> list[str]:
    """The candidate groups of a user (administrators also claim what nobody was found for)."""
    found = people.groups_of(conn, user_id)
    return [*found, ADMINS] if is_admin else found


class TaskMirror:
    def __init__(self, ports: ProcessPorts) -> None:
        self.ports = ports

    def sync(self, work: Work, L: Loaded) -> None:
        """Open a task for each new ready user task, cancel those no longer ready; a finished
        run completes the instance."""
        ready = {r.id: r for r in L.run.ready()}
        open_rows = repo.instance_tasks(work.conn, L.row.id, ["open", "waiting"])
        seen = {r.engine_task_id for r in open_rows}
        gone = [r.id for r in open_rows if r.engine_task_id not in ready]
        repo.close_tasks(work.conn, gone, "cancelled", work.now)
        queues = L.meta.get(QUEUES, {})
        for engine_id in [k for k in queues if k not in ready]:
            del queues[engine_id]  # a step signed in turn that is no longer ready
        for r in ready.values():
            if r.id not in seen:
                self.open_step(work, L, r.id, r.step_id, r.name, r.data)
        if L.run.completed and L.status == "running":
            L.status = "completed"
            L.ended = True
            repo.add_event(work.conn, instance_id=L.row.id, action="completed", at=work.now)
            work.emit(
                Event(
                    "process.completed",
                    L.row.app_id,
                    L.row.table_id,
                    L.row.record_id,
                    {"instance_id": L.row.id, "definition": L.drow.key, "status": "completed"},
                )
            )

    def deadline(
        self, work: Work, step: Step, opened: datetime, record: dict[str, Any]
    ) -> datetime | None:
        """When a task of ``step`` opened at ``opened`` is due (its field read from
        ``record``)."""
        if step.deadline is None:
            return None
        field_value = as_utc(record.get(step.deadline.field)) if step.deadline.field else None
        if step.deadline.field or step.deadline.calendar == "working":
            calendar, hours = self.ports.working_time(work.conn)
        else:  # calendar time needs neither
            calendar, hours = None, deadlines.WorkingHours()
        return deadlines.due_at(
            step,
            opened,
            tz=work.catalog.ctx.timezone,
            calendar=calendar,  # type: ignore[arg-type]
            hours=hours,
            field_value=field_value,
        )

    def open_step(
        self,
        work: Work,
        L: Loaded,
        engine_id: str,
        step_id: str,
        name: str,
        data: dict[str, Any],
        *,
        kind: str = "task",
        only: int | None = None,
    ) -> list[int]:
        """Open the tasks of a step: one per assignee (a countersign: one each; signed in
        turn: the first, the others wait in the step's queue), or one per candidate group;
        ``only``: for that user. The new task ids."""
        step = L.definition.model.step(step_id)
        name = name or step.name
        returned = L.meta.setdefault("returned", {})
        prefer = only if only is not None else returned.pop(step_id, None)
        if prefer is not None:
            found = people.Resolved(users=[prefer])
        else:
            engine = L.run.wf.script_engine
            facts = people.Facts(
                initiator_id=L.row.initiator_id,
                previous_id=L.meta.get("last_actor"),
                completed_by=L.meta.get("completed_by", {}),
                record=L.record,
                formula=lambda text: engine.value(text, data),
            )
            found = people.resolve(work.conn, step, facts)
        items: list[tuple[int | None, str | None]] = []
        queued: list[int] = []
        if step.sign and kind == "task":
            signers = people.expand(work.conn, found)
            if step.sign == "sequence":
                queued = signers[1:]
                if only is None:  # a fresh turn (not a signer's task given back)
                    L.meta.setdefault(QUEUES, {})[engine_id] = queued
                signers = signers[:1]
            items = [(u, None) for u in signers]
        elif found.users:
            items = [(found.users[0], None)]
        else:
            items = [(None, g) for g in found.groups]
        if not items:
            items = [(None, ADMINS)]  # nobody found: administrators may claim it
        due = self.deadline(work, step, work.now, L.record)
        alarms = deadlines.alarms(step, due)
        ids = []
        for assignee, candidate in items:
            ids.append(
                repo.insert_task(
                    work.conn,
                    instance_id=L.row.id,
                    app_id=L.row.app_id,
                    table_id=L.row.table_id,
                    record_id=L.row.record_id,
                    record_title=record_title(L.schema, L.record),
                    step_id=step_id,
                    step_name=name[:200],
                    engine_task_id=engine_id,
                    kind=kind,
                    assignee_id=assignee,
                    candidate=candidate,
                    status="open",
                    due_at=due,
                    alarm_at=alarms[0].at if alarms else None,
                    created_at=work.now,
                )
            )
        repo.add_event(
            work.conn,
            instance_id=L.row.id,
            step_id=step_id,
            step_name=name[:200],
            action="opened" if kind == "task" else "returned_to",
            details={
                "assignees": [a for a, _ in items if a is not None],
                "candidates": [c for _, c in items if c is not None],
                "due_at": iso(due),
                "sign": step.sign,
                **({"queued": self.queue(L, engine_id)} if step.sign == "sequence" else {}),
            },
            at=work.now,
        )
        return ids

    # -- a step signed in turn (依次审批) -------------------------------------------------
    @staticmethod
    def queue(L: Loaded, engine_id: str) -> list[int]:
        """The signers of a step signed in turn still to come, in order."""
        return list(L.meta.get(QUEUES, {}).get(engine_id, []))

    def next_signer(self, work: Work, L: Loaded, t: Any) -> bool:
        """Task ``t`` of a step signed in turn was approved: open the next signer's task (one
        who is no longer an active user is passed over). False: nobody is left, the step is
        decided."""
        queue = L.meta.get(QUEUES, {}).get(t.engine_task_id, [])
        active = people.users_exist(work.conn, queue)
        while queue:
            signer = queue.pop(0)
            if signer in active:
                self.open_step(work, L, t.engine_task_id, t.step_id, t.step_name, {}, only=signer)
                return True
        L.meta.get(QUEUES, {}).pop(t.engine_task_id, None)
        return False

    def insert_signer(self, L: Loaded, t: Any, user: int) -> None:
        """``user`` signs a step signed in turn right after the current signer."""
        L.meta.setdefault(QUEUES, {}).setdefault(t.engine_task_id, []).insert(0, user)

    def drop_queue(self, L: Loaded, engine_id: str) -> None:
        """The step is decided (a reject) or returned: nobody else signs this turn."""
        L.meta.get(QUEUES, {}).pop(engine_id, None)

    def resume(self, work: Work, L: Loaded, t: Any) -> None:
        """A returned-to step is done again: the step that returned it is open once more."""
        info = L.meta.get("detours", {}).pop(str(t.id), None)
        if info is None:
            return
        back = repo.task(work.conn, info["back_to"])
        waiting = [
            r
            for r in repo.instance_tasks(work.conn, L.row.id, ["waiting"])
            if r.engine_task_id == back.engine_task_id
        ]
        for r in waiting:
            repo.update_task(work.conn, r.id, status="open")
        L.meta.setdefault("completed_by", {})[t.step_id] = t.assignee_id
        self.open_step(
            work, L, back.engine_task_id, back.step_id, back.step_name, {}, only=info["by"]
        )

    def event(
        self,
        work: Work,
        L: Loaded,
        t: Any,
        actor: int | None,
        action: str,
        comment: str | None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """A timeline entry about task ``t``."""
        repo.add_event(
            work.conn,
            instance_id=L.row.id,
            task_id=t.id,
            step_id=t.step_id,
            step_name=t.step_name,
            actor_id=actor,
            action=action,
            comment=comment,
            details=details or {},
            at=work.now,
        )

    def finish_item(
        self,
        work: Work,
        t: Any,
        user: int | None,
        action: str,
        comment: str | None,
        files: list[str],
    ) -> None:
        """Task ``t`` is done by ``user``."""
        repo.update_task(
            work.conn,
            t.id,
            status="done",
            action=action,
            comment=comment,
            attachments=files or None,
            completed_at=work.now,
            completed_by=user,
            alarm_at=None,
        )
