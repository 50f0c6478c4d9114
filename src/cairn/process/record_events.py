"""What a record event does to processes: a created record starts the processes that start
automatically on its table; an edited field moves the deadlines read from it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cairn.auth import SYSTEM
from cairn.process import deadlines, repo
from cairn.process.instance import iso, record_title

if TYPE_CHECKING:
    from cairn.process.runtime import Runtime


def auto_start(
    rt: Runtime, table_id: int | None, record_id: int | None, actor_id: int | None
) -> None:
    """Start each auto-start process of the table on the new record (once per definition)."""
    with rt.ports.work(write=False) as work:
        defs = repo.auto_start_definitions(work.conn, table_id or 0)
        todo = [
            d for d in defs if not repo.has_instance(work.conn, d.key, d.app_id, record_id or 0)
        ]
    for drow in todo:
        record = rt.read_record(drow.table_id, record_id)
        if not record:
            continue
        rt.start(drow, record_id, record, SYSTEM, actor_id, {})


def follow_deadlines(rt: Runtime, table_id: int, record_id: int, changed: set[str]) -> None:
    """A deadline read from a record field follows the field when it is edited."""
    with rt.ports.work(write=False) as work:
        tasks = repo.open_tasks_of_record(work.conn, table_id, record_id)
    if not tasks:
        return
    record = rt.read_record(table_id, record_id)
    with rt.ports.work() as work:
        for t in tasks:
            row = repo.instance(work.conn, t.instance_id)
            drow = rt.definition_row(work, row.definition_id)
            step = rt.definition(drow).model.step(t.step_id)
            if not step.deadline or step.deadline.field not in changed:
                continue
            due = rt.mirror.deadline(work, step, t.created_at, record)
            plan = deadlines.alarms(step, due)
            stage = sum(1 for a in plan if a.at <= work.now and plan.index(a) < t.alarm_stage)
            repo.update_task(
                work.conn,
                t.id,
                due_at=due,
                alarm_stage=stage,
                alarm_at=plan[stage].at if stage < len(plan) else None,
            )
            repo.add_event(
                work.conn,
                instance_id=row.id,
                task_id=t.id,
                step_id=t.step_id,
                step_name=t.step_name,
                action="deadline_changed",
                details={"from": iso(t.due_at), "to": iso(due), "field": step.deadline.field},
                at=work.now,
            )


def follow_title(rt: Runtime, table_id: int, record_id: int, changed: set[str]) -> None:
    """The record's title kept on its open tasks and live instances follows its display field."""
    with rt.ports.work(write=False) as work:
        schema = work.catalog.schema(table_id)
    f = schema.display_field
    if f is None or f.key not in changed:
        return
    title = record_title(schema, rt.read_record(table_id, record_id))
    with rt.ports.work() as work:
        repo.set_record_title(work.conn, table_id, record_id, title)
