"""The process instance lifecycle: load an instance (its saved state upgraded to the current
format), start one, move it on (``advance``, ``engine_step`` with incidents and ``redo``),
end it and save it. The task mirror is ``mirror.TaskMirror``, the task actions
``task_actions``, service tasks ``service_tasks``, the timers and alarms ``timers``.

The runtime works inside units of work that ``cairn.services`` opens through the ports
(``ports.ProcessPorts``); the instance row carries a version, so two writers on one instance
cannot both win.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Sequence
from datetime import UTC
from typing import TYPE_CHECKING, Any

from cairn.auth import Entry, Principal
from cairn.core import Clock, Event, Invalid
from cairn.process import repo, state
from cairn.process.engine import Definition
from cairn.process.instance import DECISIONS, Loaded, record_title, tasks_changed
from cairn.process.mirror import TaskMirror
from cairn.process.script_engine import ScriptContext, ScriptError
from cairn.process.service_tasks import ServiceTaskRunner
from cairn.query.formula import CatalogResolver, environment
from cairn.query.formula_records import record_of

if TYPE_CHECKING:
    from cairn.process.ports import ProcessPorts, Work
    from cairn.store import TableSchema

log = logging.getLogger(__name__)

#: Parsed definitions kept per process (versions never change).
MAX_CACHED = 500


class Runtime:
    def __init__(self, ports: ProcessPorts, cache: dict[Any, Any], clock: Clock) -> None:
        self.ports = ports
        #: Parsed definitions, definition rows and compiled service actions (shared).
        self.cache = cache
        self.clock = clock
        self.mirror = TaskMirror(ports)
        self.service_tasks = ServiceTaskRunner(self)

    # -- definitions -----------------------------------------------------------------------
    def definition(self, row: Any) -> Definition:
        d = self.cache.get(row.id)
        if d is None:
            d = Definition(row.bpmn)
            if len(self.cache) > MAX_CACHED:
                self.cache.clear()
            self.cache[row.id] = d
        return d

    def definition_row(self, work: Work, definition_id: int) -> Any:
        """A definition row (versions never change: kept with the parsed definition)."""
        cached = self.cache.get(("row", definition_id))
        if cached is None:
            cached = repo.definition(work.conn, definition_id)
            self.cache[("row", definition_id)] = cached
        return cached

    # -- context ---------------------------------------------------------------------------
    def script_context(
        self, work: Work, schema: TableSchema | None, record: dict[str, Any]
    ) -> ScriptContext:
        cat = work.catalog
        values: dict[str, Any] = {}
        rows: dict[str, Any] = {}
        if schema is not None:
            for f in schema.fields:
                if f.key in record:
                    values[f"#{f.id}"] = record[f.key]
            if schema.subforms:
                rows = dict(record_of(cat, schema, record).links)
        now = self.clock.now()
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
        return ScriptContext(
            resolver=CatalogResolver(cat, schema) if schema is not None else None,
            resolver_key=(schema.id, cat.version) if schema is not None else None,
            record=values,
            rows=rows,
            env=environment(cat, self.clock),
            now=now,
        )

    def read_record(
        self, table_id: int | None, record_id: int | None, expand: Sequence[str] = ()
    ) -> dict[str, Any]:
        """The bound record as the system sees it (before a process transaction opens); the
        relation fields in ``expand`` as the linked records."""
        if table_id is None or record_id is None:
            return {}
        with self.ports.work(write=False) as work:
            schema = work.catalog.schema(table_id)
            return self.ports.read_record(work, schema, record_id, expand)

    def record_in(
        self, work: Work, schema: TableSchema | None, record_id: int | None
    ) -> dict[str, Any]:
        """The record in a unit of work, as the system sees it."""
        if schema is None or record_id is None:
            return {}
        return self.ports.read_record(work, schema, record_id)

    # -- load, start, save -----------------------------------------------------------------
    def load(self, work: Work, row: Any, record: dict[str, Any]) -> Loaded:
        """An instance as saved (older state upgraded: ``state.upgrade``)."""
        drow = self.definition_row(work, row.definition_id)
        d = self.definition(drow)
        schema = work.catalog.schema(row.table_id) if row.table_id else None
        ctx = self.script_context(work, schema, record)
        run = d.load(state.workflow(row.state or {}, row.state_version), ctx)
        loaded = Loaded(row, drow, d, run, schema, record, dict(row.meta or {}), row.status)
        ctx.call_service = self.service_tasks.caller(work, loaded)
        return loaded

    def start(
        self,
        drow: Any,
        record_id: int | None,
        record: dict[str, Any],
        principal: Principal,
        initiator_id: int | None,
        variables: dict[str, Any],
        before_commit: Any = None,
        event_meta: dict[str, Any] | None = None,
    ) -> int:
        """A new instance of definition ``drow`` on the record, run up to its first wait;
        its id."""
        d = self.definition(drow)
        with self.ports.work(principal=principal) as work:
            if before_commit is not None:
                work.before_commit.append(before_commit)
            if event_meta:
                work.event_meta.update(event_meta)
            schema = work.catalog.schema(drow.table_id) if drow.table_id else None
            ctx = self.script_context(work, schema, record)
            data = {k: v for k, v in variables.items() if isinstance(k, str) and k.isidentifier()}
            data["initiator_id"] = initiator_id
            run = d.new(ctx, data)
            iid = repo.insert_instance(
                work.conn,
                definition_id=drow.id,
                app_id=drow.app_id,
                table_id=drow.table_id,
                record_id=record_id,
                status="running",
                state={},
                state_version=state.CURRENT,
                meta={"completed_by": {}},
                initiator_id=initiator_id,
                started_at=work.now,
                updated_at=work.now,
                record_title=record_title(schema, record),
            )
            row = repo.instance(work.conn, iid)
            loaded = Loaded(row, drow, d, run, schema, record, {"completed_by": {}})
            ctx.call_service = self.service_tasks.caller(work, loaded)
            repo.add_event(
                work.conn,
                instance_id=iid,
                actor_id=initiator_id,
                action="started",
                details={"definition": drow.key, "version": drow.version},
                at=work.now,
            )
            self.advance(work, loaded)
            self.save(work, loaded)
            work.audit(
                Entry(
                    "process.start",
                    "process_instance",
                    iid,
                    drow.app_id,
                    drow.table_id,
                    {"definition": drow.key, "version": drow.version, "record_id": record_id},
                )
            )
            work.emit(
                Event(
                    "process.started",
                    drow.app_id,
                    drow.table_id,
                    record_id,
                    {"instance_id": iid, "definition": drow.key},
                    initiator_id,
                )
            )
        return iid

    def save(self, work: Work, L: Loaded) -> None:
        """Keep the instance as it is now, and say so (``process.tasks``: its tasks may have
        moved; the work-platform to-dos follow them)."""
        running = L.status == "running"
        repo.save_instance(
            work.conn,
            L.row,
            state=state.pack(L.run.dump()),
            state_version=state.CURRENT,
            meta=L.meta,
            status=L.status,
            updated_at=work.now,
            ended_at=work.now if L.ended else L.row.ended_at,
            timer_due_at=L.run.next_timer() if running else None,
        )
        work.emit(tasks_changed(L.row))

    def end(self, work: Work, L: Loaded, status: str, actor: int | None, reason: str | None):
        """The instance ends (rejected, withdrawn, cancelled): its open tasks are cancelled."""
        L.run.cancel()
        L.status = status
        L.ended = True
        still = repo.instance_tasks(work.conn, L.row.id, ["open", "waiting"])
        repo.close_tasks(work.conn, [t.id for t in still], "cancelled", work.now)
        repo.add_event(
            work.conn,
            instance_id=L.row.id,
            actor_id=actor,
            action=status,
            comment=reason,
            at=work.now,
        )
        work.emit(
            Event(
                "process.completed",
                L.row.app_id,
                L.row.table_id,
                L.row.record_id,
                {"instance_id": L.row.id, "definition": L.drow.key, "status": status},
                actor,
            )
        )

    # -- the engine loop ---------------------------------------------------------------------
    def advance(self, work: Work, L: Loaded) -> None:
        """Run automatic steps, then mirror the ready user tasks into ``tasks``."""
        try:
            L.run.advance()
        except ScriptError as e:
            raise Invalid.on("process", "process.script_failed", detail=str(e)) from None
        self.mirror.sync(work, L)

    def sync(self, work: Work, L: Loaded) -> None:
        self.mirror.sync(work, L)

    def engine_step(
        self, work: Work, L: Loaded, move: Callable[[], None], redo: dict[str, Any]
    ) -> bool:
        """One move of a running instance (``move``: the run goes on; then the task mirror
        follows) that may fail on what deploy could not know: a condition dividing by zero,
        a split where no condition holds, an assignee formula that errors, a dead end in a
        version deployed before the shape check. It runs in a savepoint: on such an error all
        it did (records written by service tasks, tasks opened, events, audit) is undone, the
        run is put back as it was, and the instance stops at an incident (status ``error``,
        ``incident`` in its meta and its timeline) naming the element; ``redo`` (what the move
        was) lets an administrator's ``retry`` make it again. True when it went through."""
        before = copy.deepcopy(L.run.dump())
        meta, status, ended = copy.deepcopy(L.meta), L.status, L.ended
        undo = work.checkpoint()
        savepoint = work.conn.begin_nested()
        try:
            move()
            self.mirror.sync(work, L)
        except ScriptError as e:
            savepoint.rollback()
            undo()
            L.meta, L.status, L.ended = meta, status, ended
            L.run = L.definition.load(before, L.run.context)
            self.incident(work, L, e, redo)
            return False
        savepoint.commit()
        return True

    def incident(self, work: Work, L: Loaded, e: ScriptError, redo: dict[str, Any]) -> None:
        step_id = e.step_id or str(redo.get("task_step") or "")
        name = e.step_name or (L.definition.model.step(step_id).name if step_id else "")
        error = str(e)[:2000]
        L.status = "error"
        L.meta["incident"] = {
            "kind": "engine",
            "step": step_id,
            "name": name,
            "error": error,
            "at": work.now.isoformat() + "Z",
            **redo,
        }
        details = {"error": error, "type": redo.get("type")}
        if redo.get("task_step"):
            details["task_step"] = redo["task_step"]
        repo.add_event(
            work.conn,
            instance_id=L.row.id,
            step_id=step_id or None,
            step_name=name[:200] or None,
            action="incident",
            details=details,
            at=work.now,
        )
        log.warning("process %s: incident at %s: %s", L.row.id, step_id, error)

    def redo(self, work: Work, L: Loaded, incident: dict[str, Any]) -> bool:
        """An administrator's retry of an engine incident: the move that failed, again (it
        may fail again: a new incident). True when it went through."""
        kind = incident.get("type")
        keep = ("type", "task", "task_step", "task_id", "data", "to_step")
        redo = {k: incident[k] for k in keep if k in incident}
        if kind in DECISIONS:
            task, data = str(incident.get("task")), dict(incident.get("data") or {})
            return self.engine_step(work, L, lambda: L.run.complete(task, data), redo)
        if kind == "return":
            target = str(incident.get("to_step"))
            return self.engine_step(work, L, lambda: L.run.rerun_from(target), redo)
        if kind == "timer":
            return self.engine_step(work, L, L.run.refresh_timers, redo)
        if kind == "service_done":
            task = str(incident.get("task"))
            return self.engine_step(work, L, lambda: L.run.finish_service(task), redo)
        return True
