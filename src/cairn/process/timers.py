"""The worker's scan of running instances: BPMN timers that came due, then the alarms of open
tasks (reminders, breaches, escalations). What came due while nothing ran fires now, in
order; safe to run from several workers (a loser of a race gets ``Conflict`` and skips)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cairn.core import Conflict, Event
from cairn.process import assignees as people
from cairn.process import deadlines, repo
from cairn.process.instance import iso, tasks_changed

if TYPE_CHECKING:
    from cairn.process.runtime import Runtime


class Timers:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.ports = runtime.ports

    def tick(self) -> dict[str, int]:
        """Fire what has come due: BPMN timers, then reminders, breaches and escalations."""
        with self.ports.work(write=False) as work:
            timer_ids = repo.due_timers(work.conn, work.now)
        fired = 0
        for iid in timer_ids:
            try:
                fired += self.fire_timers(iid)
            except Conflict:
                continue  # somebody else moved it on; the next scan looks again
        with self.ports.work(write=False) as work:
            alarm_ids = [t.id for t in repo.due_alarms(work.conn, work.now)]
        alarms = 0
        for tid in alarm_ids:
            try:
                alarms += self.fire_alarms(tid)
            except Conflict:
                continue
        return {"timers": fired, "alarms": alarms}

    def fire_timers(self, instance_id: int) -> int:
        with self.ports.work(write=False) as work:
            row = repo.instance(work.conn, instance_id)
        record = self.rt.read_record(row.table_id, row.record_id)
        with self.ports.work() as work:
            row = repo.instance(work.conn, instance_id)
            if row.status != "running" or row.timer_due_at is None or row.timer_due_at > work.now:
                return 0
            L = self.rt.load(work, row, record)
            repo.add_event(
                work.conn,
                instance_id=instance_id,
                action="timer",
                details={"due_at": iso(row.timer_due_at)},
                at=work.now,
            )
            self.rt.engine_step(work, L, L.run.refresh_timers, {"type": "timer"})
            self.rt.save(work, L)
            return 1

    def fire_alarms(self, task_id: int) -> int:
        with self.ports.work() as work:
            t = repo.task(work.conn, task_id)
            if t.status != "open" or t.alarm_at is None or t.alarm_at > work.now:
                return 0
            row = repo.instance(work.conn, t.instance_id)
            drow = self.rt.definition_row(work, row.definition_id)
            step = self.rt.definition(drow).model.step(t.step_id)
            plan = deadlines.alarms(step, t.due_at)
            stage, fired = t.alarm_stage, 0
            assignee, level, escalated_from = t.assignee_id, t.escalation_level, t.escalated_from
            notifier = self.ports.notifier(work, row)
            link = f"/tasks/{t.id}"
            while stage < len(plan) and plan[stage].at <= work.now:
                alarm = plan[stage]
                stage += 1
                fired += 1
                base = dict(
                    instance_id=row.id,
                    task_id=t.id,
                    step_id=t.step_id,
                    step_name=t.step_name,
                    at=work.now,
                )
                if alarm.kind == "remind":
                    if assignee is not None:
                        notifier.notify(
                            instance_id=row.id,
                            user_id=assignee,
                            subject=f"{t.step_name}: due {iso(t.due_at)}",
                            body="reminder",
                            link=link,
                            key=f"task:{t.id}:remind",
                        )
                    repo.add_event(
                        work.conn,
                        action="reminded",
                        details={"to": assignee, "due_at": iso(t.due_at)},
                        **base,
                    )
                elif alarm.kind == "overdue":
                    repo.add_event(
                        work.conn,
                        action="overdue",
                        details={"assignee_id": assignee, "due_at": iso(t.due_at)},
                        **base,
                    )
                    work.emit(
                        Event(
                            "process.task_overdue",
                            row.app_id,
                            row.table_id,
                            row.record_id,
                            {
                                "instance_id": row.id,
                                "definition": drow.key,
                                "task_id": t.id,
                                "step": t.step_id,
                                "assignee_id": assignee,
                            },
                        )
                    )
                else:
                    esc = step.escalations[alarm.level - 1]
                    origin = escalated_from or assignee
                    target = (
                        people.manager_chain(work.conn, origin, alarm.level)
                        if origin is not None
                        else None
                    )
                    level = alarm.level
                    repo.add_event(
                        work.conn,
                        action="escalated",
                        details={
                            "level": alarm.level,
                            "to": target,
                            "notify": esc.notify,
                            "reassign": esc.reassign,
                        },
                        **base,
                    )
                    if target is not None and esc.notify:
                        notifier.notify(
                            instance_id=row.id,
                            user_id=target,
                            subject=f"{t.step_name}: overdue since {iso(t.due_at)}",
                            body=f"escalation level {alarm.level}",
                            link=link,
                            key=f"task:{t.id}:escalate:{alarm.level}",
                        )
                    if target is not None and esc.reassign:
                        escalated_from = origin
                        assignee = target
            repo.update_task(
                work.conn,
                t.id,
                bump=assignee != t.assignee_id,  # reassigned: an earlier view is stale
                alarm_stage=stage,
                alarm_at=plan[stage].at if stage < len(plan) else None,
                escalation_level=level,
                assignee_id=assignee,
                escalated_from=escalated_from,
            )
            if assignee != t.assignee_id:
                work.emit(tasks_changed(row))  # escalated to a manager: to-dos follow
            return fired
