"""A task as its assignee opens it: the step's form, the record's fields the form shows
(linked records by their titles only), where it stands and what can be done."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.process import repo, views
from cairn.process.visibility import may_see
from cairn.store import records as store_records

if TYPE_CHECKING:
    from cairn.auth import Principal
    from cairn.process.ports import Work
    from cairn.process.runtime import Runtime


def relation_titles(work: Work, table_id: int | None, shown: set[str]) -> dict[str, str | None]:
    """The relation fields a step shows (all of them when the step lists none), each with the
    display field of the table it links to: the task shows a linked record by its title."""
    if table_id is None:
        return {}
    schema = work.catalog.schema(table_id)
    out: dict[str, str | None] = {}
    for f in schema.fields:
        if f.is_relation and (not shown or f.key in shown):
            target = work.catalog.schema(int(f.options["target_table_id"]))
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


def task(
    rt: Runtime, task_id: int, principal: Principal, with_record: bool = True
) -> dict[str, Any]:
    """A task with its step form, the record's fields the form shows and what can be done."""
    with rt.ports.work(write=False, principal=principal) as work:
        t = repo.task(work.conn, task_id)
        row = repo.instance(work.conn, t.instance_id)
        may_see(work, row, principal)  # type: ignore[arg-type]
        drow = rt.definition_row(work, row.definition_id)
        model = rt.definition(drow).model
        step = model.step(t.step_id)
        passed = []
        for r in repo.instance_tasks(work.conn, row.id, ["done"]):
            if r.kind == "task" and r.step_id != t.step_id and r.step_id not in passed:
                passed.append(r.step_id)
        where = {"model": model, **_where(work, t.app_id, t.table_id, t.record_id)}
        shown = {f.key for f in step.form}
        links = relation_titles(work, t.table_id, shown)
    record = rt.read_record(row.table_id, row.record_id, list(links)) if with_record else {}
    if step.form and record:
        record = {k: v for k, v in record.items() if k in shown or k in ("id", "version")}
    for key, title in links.items():  # a linked record shows as its id and title only
        record[key] = link_titles(record.get(key), title)
    return views.task_json(t, drow, step, record, passed, where)


def _where(work: Work, app_id: int, table_id: int | None, record_id: int | None) -> dict[str, Any]:
    """The app and table keys of a task or instance and its record's title (live)."""
    if table_id is None:
        apps = {a.id: a.key for a in work.catalog.live_apps()}
        return {"app": apps.get(app_id), "table": None, "record_title": None}
    schema = work.catalog.schema(table_id)
    title = None
    if record_id is not None:
        title = store_records.titles(work.conn, schema, [record_id]).get(record_id)
    return {"app": schema.app.key, "table": schema.table.key, "record_title": title}
