"""Processes: deploy definitions, start instances on records, act on tasks, the inbox, the
timeline, and the worker's scan that fires timers, reminders, breaches and escalations.

An action is at most two transactions: the step's record edits first (through the records
service: validation, history, outbox), then the process step (instance state, task mirror,
timeline, audit). The instance row carries a version: two writers on one instance (a user's
action and the timer scan) cannot both win; the loser gets 409 and changes nothing.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Entry, Principal
from cairn.auth.guard import guard
from cairn.core import Conflict, Event, Forbidden, Invalid, NotFound, key_problem
from cairn.meta import is_blank
from cairn.process import (
    STATE_VERSION,
    Definition,
    Run,
    ScriptContext,
    ScriptError,
    Step,
    deadlines,
    repo,
)
from cairn.process import assignees as people
from cairn.query.formula import CatalogResolver, environment
from cairn.services.service_tasks import EVENT as SERVICE_EVENT
from cairn.services.service_tasks import ServiceTasks
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import TableSchema, system
from cairn.store import users as store_users
from cairn.store.outbox import OutboxEvent

if TYPE_CHECKING:
    from cairn.services.context import Services

log = logging.getLogger(__name__)

ACTIONS = (
    "complete",
    "approve",
    "reject",
    "return",
    "transfer",
    "delegate",
    "add_signer",
    "comment",
    "attach",
    "claim",
)
DECISIONS = ("complete", "approve", "reject")
ADMINS = "admins"
MAX_PAGE = 200


@dataclass
class Loaded:
    row: Any
    drow: Any
    definition: Definition
    run: Run
    schema: TableSchema | None
    record: dict[str, Any]
    meta: dict[str, Any]
    status: str = "running"
    ended: bool = False
    notes: list[str] = field(default_factory=list)


def _iso(v: datetime | None) -> str | None:
    return v.isoformat() + "Z" if v is not None else None


def _as_utc(v: Any) -> date | datetime | None:
    """A record's date or datetime value (as the records API shows it) for a deadline."""
    if v is None or v == "":
        return None
    if isinstance(v, datetime):
        return v if v.tzinfo is None else v.astimezone(UTC).replace(tzinfo=None)
    if isinstance(v, date):
        return v
    s = str(v)
    if len(s) == 10:
        return date.fromisoformat(s)
    dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    return dt if dt.tzinfo is None else dt.astimezone(UTC).replace(tzinfo=None)


class ProcessNotifier:
    """The process engine's ``Notifier``: an in-app notification (``services.notify``, in the
    same transaction as the alarm that caused it) and a "notified" entry in the timeline."""

    def __init__(self, services: Services, uow: UnitOfWork, row: Any) -> None:
        self.s = services
        self.uow = uow
        self.row = row

    def notify(
        self, *, instance_id: int, user_id: int, subject: str, body: str, link: str, key: str
    ) -> None:
        from cairn.services.notify import ChannelError, OutboundMessage

        error = None
        try:
            self.s.notify.send_in(
                self.uow,
                OutboundMessage(
                    channel="inapp",
                    recipients=[f"user:{user_id}"],
                    subject=subject,
                    body=body,
                    link=link,
                    app_id=self.row.app_id,
                    table_id=self.row.table_id,
                    record_id=self.row.record_id,
                    idempotency_key=f"process:{key}",
                ),
            )
        except ChannelError as e:  # recorded with the alarm; the escalation itself stands
            error = str(e)
        details = {"to": user_id, "subject": subject, "body": body, "link": link, "key": key}
        if error:
            details["error"] = error
        repo.add_event(
            self.uow.conn,
            instance_id=instance_id,
            action="notified",
            details=details,
            at=self.uow.now,
        )


class ProcessService:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.service_tasks = ServiceTasks(self)

    # -- definitions -----------------------------------------------------------------------
    def _definition(self, row: Any) -> Definition:
        d = self.s.process_cache.get(row.id)
        if d is None:
            d = Definition(row.bpmn)
            if len(self.s.process_cache) > 500:
                self.s.process_cache.clear()
            self.s.process_cache[row.id] = d
        return d

    def _drow(self, uow: UnitOfWork, definition_id: int) -> Any:
        """A definition row (versions never change: kept with the parsed definition)."""
        cached = self.s.process_cache.get(("row", definition_id))
        if cached is None:
            cached = repo.definition(uow.conn, definition_id)
            self.s.process_cache[("row", definition_id)] = cached
        return cached

    def _require_manager(self, principal: Principal, app: str) -> None:
        if principal.is_admin and not principal.read_only:
            return
        if principal.user_id is not None and self.s.directory.can_manage(principal, app):
            return
        raise Forbidden("auth.forbidden")

    def deploy(self, app: str, body: dict[str, Any], principal: Principal) -> dict[str, Any]:
        """Deploy BPMN XML as the next version of ``key`` (running instances keep theirs)."""
        self._require_manager(principal, app)
        with unit_of_work(self.s, principal=principal) as uow:
            return self._deploy_in(uow, app, body, principal.user_id)

    def _deploy_in(
        self, uow: UnitOfWork, app: str, body: dict[str, Any], user_id: int | None
    ) -> dict[str, Any]:
        xml = body.get("bpmn")
        if not isinstance(xml, str) or not xml.strip():
            raise Invalid.on("bpmn", "process.xml", detail="empty")
        definition = Definition(xml, deploying=True)
        model = definition.model
        key = body.get("key") or model.process_id
        problem = key_problem(key)
        if problem:
            raise Invalid.on("key", problem, key=str(key))
        table_key = body.get("table") or model.table
        auto_start = bool(body.get("auto_start", model.auto_start))
        a = uow.catalog.app(app)
        schema = uow.catalog.table(app, table_key) if table_key else None
        if auto_start and schema is None:
            raise Invalid.on("auto_start", "process.auto_start_table")
        self._validate(uow, definition, schema)
        version = repo.next_version(uow.conn, a.id, key)
        name = str(body.get("name") or model.name)[:200]
        did = repo.insert_definition(
            uow.conn,
            app_id=a.id,
            key=key,
            name=name,
            version=version,
            bpmn=xml,
            table_id=schema.id if schema else None,
            options={"auto_start": auto_start},
            created_at=uow.now,
            created_by=user_id,
        )
        uow.audit(
            Entry(
                "process.deploy",
                "process_definition",
                did,
                a.id,
                schema.id if schema else None,
                {"key": key, "version": version},
            )
        )
        return self._definition_json(uow, repo.definition(uow.conn, did), with_xml=False)

    # -- app packages ----------------------------------------------------------------------
    def export_in(self, uow: UnitOfWork, app: str) -> list[dict[str, Any]]:
        """The latest version of each definition of the app, as the package carries it."""
        a = uow.catalog.app(app)
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        for r in repo.definitions(uow.conn, a.id):
            if r.key in seen:
                continue
            seen.add(r.key)
            row = repo.definition(uow.conn, r.id)
            out.append(
                {
                    "key": r.key,
                    "name": r.name,
                    "table": uow.catalog.schema(r.table_id).table.key if r.table_id else None,
                    "auto_start": bool((r.options or {}).get("auto_start")),
                    "bpmn": row.bpmn,
                }
            )
        return out

    def import_in(self, uow: UnitOfWork, app: str, items: Any) -> None:
        if not isinstance(items, list):
            raise Invalid.on("processes", "package.shape", detail="processes must be a list")
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise Invalid.on(f"processes.{i}", "package.shape", detail="a mapping")
            try:
                self._deploy_in(uow, app, item, uow.principal.user_id)
            except Invalid as e:
                raise e.under(f"processes.{i}") from None

    def _validate(self, uow: UnitOfWork, d: Definition, schema: TableSchema | None) -> None:
        """Every formula type-checks against the table; form and field rules name real fields."""
        model = d.model
        ctx = self._script_context(uow, schema, {})
        engine = d.engine(ctx)
        data: dict[str, Any] = {}
        for flow_id, text in model.conditions.items():
            try:
                engine.compile(text, data)
            except ScriptError as e:
                raise Invalid.on(f"bpmn.{flow_id}", "process.condition", detail=str(e)) from None
        for sid, lines in model.scripts.items():
            for name, text in lines:
                try:
                    engine.compile(text, data)
                except ScriptError as e:
                    raise Invalid.on(f"bpmn.{sid}", "process.condition", detail=str(e)) from None
                data[name] = None
        for tid, text in model.timers.items():
            from cairn.process.model import is_duration

            t = text.strip().strip("\"'")
            if is_duration(t):
                continue
            try:
                datetime.fromisoformat(t)
                continue
            except ValueError:
                pass
            try:
                engine.compile(text, data)
            except ScriptError as e:
                raise Invalid.on(f"bpmn.{tid}", "process.timer", detail=str(e)) from None
        self.service_tasks.validate(uow, model, schema)
        for step in model.steps.values():
            keys = [f.key for f in step.form]
            keys += [r.value or "" for r in step.assignees if r.kind == "field"]
            if step.deadline and step.deadline.field:
                keys.append(step.deadline.field)
            for k in keys:
                if schema is None or k not in schema.by_key:
                    raise Invalid.on(f"bpmn.{step.id}", "field.unknown", key=k)
            for r in step.assignees:
                if r.kind == "formula":
                    try:
                        engine.compile(r.value or "", data)
                    except ScriptError as e:
                        raise Invalid.on(
                            f"bpmn.{step.id}", "process.condition", detail=str(e)
                        ) from None

    def _definition_json(self, uow: UnitOfWork, row: Any, with_xml: bool) -> dict[str, Any]:
        d = self._definition(row)
        table = uow.catalog.schema(row.table_id).table.key if row.table_id else None
        out = {
            "id": row.id,
            "key": row.key,
            "name": row.name,
            "version": row.version,
            "table": table,
            "auto_start": bool((row.options or {}).get("auto_start")),
            "created_at": _iso(row.created_at),
            "steps": [_step_json(s) for s in d.model.steps.values()],
        }
        if with_xml:
            out["bpmn"] = row.bpmn
        return out

    def list_definitions(self, app: str) -> dict[str, Any]:
        with unit_of_work(self.s, write=False) as uow:
            a = uow.catalog.app(app)
            rows = repo.definitions(uow.conn, a.id)
            out: dict[str, dict[str, Any]] = {}
            for r in rows:
                if r.key not in out:
                    out[r.key] = {
                        "key": r.key,
                        "name": r.name,
                        "version": r.version,
                        "id": r.id,
                        "table": uow.catalog.schema(r.table_id).table.key if r.table_id else None,
                        "auto_start": bool((r.options or {}).get("auto_start")),
                        "versions": 0,
                    }
                out[r.key]["versions"] += 1
            return {"items": list(out.values())}

    def get_definition(self, app: str, key: str, version: int | None = None) -> dict[str, Any]:
        with unit_of_work(self.s, write=False) as uow:
            a = uow.catalog.app(app)
            return self._definition_json(
                uow, repo.latest(uow.conn, a.id, key, version), with_xml=True
            )

    def versions(self, app: str, key: str) -> dict[str, Any]:
        with unit_of_work(self.s, write=False) as uow:
            a = uow.catalog.app(app)
            rows = [r for r in repo.definitions(uow.conn, a.id) if r.key == key]
            if not rows:
                raise NotFound("process.not_found", key=key)
            return {
                "items": [
                    {
                        "id": r.id,
                        "version": r.version,
                        "name": r.name,
                        "created_at": _iso(r.created_at),
                        "created_by": r.created_by,
                    }
                    for r in rows
                ]
            }

    # -- context ---------------------------------------------------------------------------
    def _script_context(
        self, uow: UnitOfWork, schema: TableSchema | None, record: dict[str, Any]
    ) -> ScriptContext:
        cat = uow.catalog
        values: dict[str, Any] = {}
        if schema is not None:
            for f in schema.fields:
                if f.key in record:
                    values[f"#{f.id}"] = record[f.key]
        now = self.s.clock.now()
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
        return ScriptContext(
            resolver=CatalogResolver(cat, schema) if schema is not None else None,
            resolver_key=(schema.id, cat.version) if schema is not None else None,
            record=values,
            env=environment(cat, self.s.clock),
            now=now,
        )

    def _read_record(self, table_id: int | None, record_id: int | None) -> dict[str, Any]:
        """The bound record as the system sees it (before a process transaction opens)."""
        if table_id is None or record_id is None:
            return {}
        with unit_of_work(self.s, write=False) as uow:
            return self._record_in(uow, uow.catalog.schema(table_id), record_id)

    def _record_in(
        self, uow: UnitOfWork, schema: TableSchema | None, record_id: int | None
    ) -> dict[str, Any]:
        """The record in a unit of work of the system principal."""
        if schema is None or record_id is None:
            return {}
        rows = self.s.records._read(uow, schema, [record_id])
        return rows[0] if rows else {}

    def _load(self, uow: UnitOfWork, row: Any, record: dict[str, Any]) -> Loaded:
        drow = self._drow(uow, row.definition_id)
        d = self._definition(drow)
        schema = uow.catalog.schema(row.table_id) if row.table_id else None
        ctx = self._script_context(uow, schema, record)
        if row.state_version != STATE_VERSION:
            raise Conflict("process.state_version", version=row.state_version)
        run = d.load(row.state, ctx)
        loaded = Loaded(row, drow, d, run, schema, record, dict(row.meta or {}), row.status)
        ctx.call_service = self._service_caller(uow, loaded)
        return loaded

    def _service_caller(self, uow: UnitOfWork, L: Loaded) -> Any:
        """A service task's ``cairn:action`` list, run by ``services.service_tasks`` (the rule
        engine's actions) in this step's transaction; True when done, False when it waits."""

        def call(step_id: str, task_id: str, data: dict[str, Any]) -> bool:
            return self.service_tasks.run(uow, L, step_id, task_id)

        return call

    def retry(self, instance_id: int, principal: Principal) -> dict[str, Any]:
        """An admin runs a failed service task again (status ``error`` → ``running``)."""
        return self.service_tasks.retry(instance_id, principal)

    # -- start -----------------------------------------------------------------------------
    def start(
        self,
        app: str,
        key: str,
        body: dict[str, Any],
        principal: Principal,
    ) -> dict[str, Any]:
        record_id = body.get("record_id")
        version = body.get("version")
        with unit_of_work(self.s, write=False) as uow:
            a = uow.catalog.app(app)
            drow = repo.latest(uow.conn, a.id, key, version)
            schema = uow.catalog.schema(drow.table_id) if drow.table_id else None
        if schema is not None:
            if not isinstance(record_id, int) or isinstance(record_id, bool):
                raise Invalid.on("record_id", "value.integer")
            # Starting needs the record to be readable by the one who starts it.
            record = self.s.records.get(app, schema.table.key, record_id, principal=principal)
        else:
            record_id, record = None, {}
        variables = body.get("variables") or {}
        if not isinstance(variables, dict):
            raise Invalid.on("variables", "value.choices")
        return self._start(drow, record_id, record, principal, principal.user_id, variables)

    def start_for_rule(
        self,
        app: str,
        key: str,
        record_id: int,
        initiator_id: int | None,
        before_commit: Any = None,
        event_meta: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The rule action "start process": starts the latest version on the record on behalf
        of the rule's owner. ``before_commit`` runs in the start's own transaction (the rule
        engine marks its action done there, so a replay never starts a second instance)."""
        with unit_of_work(self.s, write=False) as uow:
            drow = repo.latest(uow.conn, uow.catalog.app(app).id, key)
        record = self._read_record(drow.table_id, record_id)
        if drow.table_id is not None and not record:
            raise NotFound("record.not_found", id=record_id)
        return self._start(
            drow, record_id, record, SYSTEM, initiator_id, {}, before_commit, event_meta
        )

    def _start(
        self,
        drow: Any,
        record_id: int | None,
        record: dict[str, Any],
        principal: Principal,
        initiator_id: int | None,
        variables: dict[str, Any],
        before_commit: Any = None,
        event_meta: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        d = self._definition(drow)
        with unit_of_work(self.s, principal=principal) as uow:
            if before_commit is not None:
                uow.before_commit.append(before_commit)
            if event_meta:
                uow.event_meta.update(event_meta)
            schema = uow.catalog.schema(drow.table_id) if drow.table_id else None
            ctx = self._script_context(uow, schema, record)
            data = {k: v for k, v in variables.items() if isinstance(k, str) and k.isidentifier()}
            data["initiator_id"] = initiator_id
            run = d.new(ctx, data)
            iid = repo.insert_instance(
                uow.conn,
                definition_id=drow.id,
                app_id=drow.app_id,
                table_id=drow.table_id,
                record_id=record_id,
                status="running",
                state={},
                state_version=STATE_VERSION,
                meta={"completed_by": {}},
                initiator_id=initiator_id,
                started_at=uow.now,
                updated_at=uow.now,
            )
            row = repo.instance(uow.conn, iid)
            loaded = Loaded(row, drow, d, run, schema, record, {"completed_by": {}})
            ctx.call_service = self._service_caller(uow, loaded)
            repo.add_event(
                uow.conn,
                instance_id=iid,
                actor_id=initiator_id,
                action="started",
                details={"definition": drow.key, "version": drow.version},
                at=uow.now,
            )
            self._advance(uow, loaded)
            self._save(uow, loaded)
            uow.audit(
                Entry(
                    "process.start",
                    "process_instance",
                    iid,
                    drow.app_id,
                    drow.table_id,
                    {"definition": drow.key, "version": drow.version, "record_id": record_id},
                )
            )
            uow.emit(
                Event(
                    "process.started",
                    drow.app_id,
                    drow.table_id,
                    record_id,
                    {"instance_id": iid, "definition": drow.key},
                    initiator_id,
                )
            )
        return self.instance(iid, SYSTEM)

    # -- the engine loop ---------------------------------------------------------------------
    def _advance(self, uow: UnitOfWork, L: Loaded) -> None:
        """Run automatic steps, then mirror the ready user tasks into ``tasks``."""
        try:
            L.run.advance()
        except ScriptError as e:
            raise Invalid.on("process", "process.script_failed", detail=str(e)) from None
        self._sync(uow, L)

    def _engine_step(
        self, uow: UnitOfWork, L: Loaded, move: Callable[[], None], redo: dict[str, Any]
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
        marks = (
            len(uow.events),
            len(uow.before_commit),
            len(uow.audit_entries),
            len(uow._after_commit),
        )
        savepoint = uow.conn.begin_nested()
        try:
            move()
            self._sync(uow, L)
        except ScriptError as e:
            savepoint.rollback()
            del uow.events[marks[0] :], uow.before_commit[marks[1] :]
            del uow.audit_entries[marks[2] :], uow._after_commit[marks[3] :]
            L.meta, L.status, L.ended = meta, status, ended
            L.run = L.definition.load(before, L.run.context)
            self._incident(uow, L, e, redo)
            return False
        savepoint.commit()
        return True

    def _incident(self, uow: UnitOfWork, L: Loaded, e: ScriptError, redo: dict[str, Any]) -> None:
        step_id = e.step_id or str(redo.get("task_step") or "")
        name = e.step_name or (L.definition.model.step(step_id).name if step_id else "")
        error = str(e)[:2000]
        L.status = "error"
        L.meta["incident"] = {
            "kind": "engine",
            "step": step_id,
            "name": name,
            "error": error,
            "at": uow.now.isoformat() + "Z",
            **redo,
        }
        details = {"error": error, "type": redo.get("type")}
        if redo.get("task_step"):
            details["task_step"] = redo["task_step"]
        repo.add_event(
            uow.conn,
            instance_id=L.row.id,
            step_id=step_id or None,
            step_name=name[:200] or None,
            action="incident",
            details=details,
            at=uow.now,
        )
        log.warning("process %s: incident at %s: %s", L.row.id, step_id, error)

    def redo(self, uow: UnitOfWork, L: Loaded, incident: dict[str, Any]) -> bool:
        """An administrator's retry of an engine incident: the move that failed, again (it
        may fail again: a new incident). True when it went through."""
        kind = incident.get("type")
        keep = ("type", "task", "task_step", "task_id", "data", "to_step")
        redo = {k: incident[k] for k in keep if k in incident}
        if kind in DECISIONS:
            task, data = str(incident.get("task")), dict(incident.get("data") or {})
            return self._engine_step(uow, L, lambda: L.run.complete(task, data), redo)
        if kind == "return":
            target = str(incident.get("to_step"))
            return self._engine_step(uow, L, lambda: L.run.rerun_from(target), redo)
        if kind == "timer":
            return self._engine_step(uow, L, L.run.refresh_timers, redo)
        if kind == "service_done":
            task = str(incident.get("task"))
            return self._engine_step(uow, L, lambda: L.run.finish_service(task), redo)
        return True

    def _sync(self, uow: UnitOfWork, L: Loaded) -> None:
        ready = {r.id: r for r in L.run.ready()}
        open_rows = repo.instance_tasks(uow.conn, L.row.id, ["open", "waiting"])
        seen = {r.engine_task_id for r in open_rows}
        gone = [r.id for r in open_rows if r.engine_task_id not in ready]
        repo.close_tasks(uow.conn, gone, "cancelled", uow.now)
        for r in ready.values():
            if r.id not in seen:
                self._open_step(uow, L, r.id, r.step_id, r.name, r.data)
        if L.run.completed and L.status == "running":
            L.status = "completed"
            L.ended = True
            repo.add_event(uow.conn, instance_id=L.row.id, action="completed", at=uow.now)
            uow.emit(
                Event(
                    "process.completed",
                    L.row.app_id,
                    L.row.table_id,
                    L.row.record_id,
                    {"instance_id": L.row.id, "definition": L.drow.key, "status": "completed"},
                )
            )

    def _groups(self, uow: UnitOfWork, user_id: int, is_admin: bool) -> list[str]:
        groups = people.groups_of(uow.conn, user_id)
        return [*groups, ADMINS] if is_admin else groups

    def _deadline(self, uow: UnitOfWork, step: Step, opened: datetime, record: dict[str, Any]):
        if step.deadline is None:
            return None
        field_value = _as_utc(record.get(step.deadline.field)) if step.deadline.field else None
        if step.deadline.field or step.deadline.calendar == "working":
            calendar, hours = self.s.calendar.calendar(uow.conn), self.s.calendar.hours(uow.conn)
        else:  # calendar time needs neither
            calendar, hours = None, deadlines.WorkingHours()
        return deadlines.due_at(
            step,
            opened,
            tz=uow.catalog.ctx.timezone,
            calendar=calendar,  # type: ignore[arg-type]
            hours=hours,
            field_value=field_value,
        )

    def _open_step(
        self,
        uow: UnitOfWork,
        L: Loaded,
        engine_id: str,
        step_id: str,
        name: str,
        data: dict[str, Any],
        *,
        kind: str = "task",
        only: int | None = None,
    ) -> list[int]:
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
            found = people.resolve(uow.conn, step, facts)
        items: list[tuple[int | None, str | None]] = []
        if step.sign and kind == "task":
            items = [(u, None) for u in people.expand(uow.conn, found)]
        elif found.users:
            items = [(found.users[0], None)]
        else:
            items = [(None, g) for g in found.groups]
        if not items:
            items = [(None, ADMINS)]  # nobody found: administrators may claim it
        due = self._deadline(uow, step, uow.now, L.record)
        alarms = deadlines.alarms(step, due)
        ids = []
        for assignee, candidate in items:
            ids.append(
                repo.insert_task(
                    uow.conn,
                    instance_id=L.row.id,
                    app_id=L.row.app_id,
                    table_id=L.row.table_id,
                    record_id=L.row.record_id,
                    step_id=step_id,
                    step_name=name[:200],
                    engine_task_id=engine_id,
                    kind=kind,
                    assignee_id=assignee,
                    candidate=candidate,
                    status="open",
                    due_at=due,
                    alarm_at=alarms[0].at if alarms else None,
                    created_at=uow.now,
                )
            )
        repo.add_event(
            uow.conn,
            instance_id=L.row.id,
            step_id=step_id,
            step_name=name[:200],
            action="opened" if kind == "task" else "returned_to",
            details={
                "assignees": [a for a, _ in items if a is not None],
                "candidates": [c for _, c in items if c is not None],
                "due_at": _iso(due),
                "sign": step.sign,
            },
            at=uow.now,
        )
        return ids

    def _save(self, uow: UnitOfWork, L: Loaded) -> None:
        running = L.status == "running"
        repo.save_instance(
            uow.conn,
            L.row,
            state=L.run.dump(),
            meta=L.meta,
            status=L.status,
            updated_at=uow.now,
            ended_at=uow.now if L.ended else L.row.ended_at,
            timer_due_at=L.run.next_timer() if running else None,
        )

    def _end(self, uow: UnitOfWork, L: Loaded, status: str, actor: int | None, reason: str | None):
        L.run.cancel()
        L.status = status
        L.ended = True
        still = repo.instance_tasks(uow.conn, L.row.id, ["open", "waiting"])
        repo.close_tasks(uow.conn, [t.id for t in still], "cancelled", uow.now)
        repo.add_event(
            uow.conn,
            instance_id=L.row.id,
            actor_id=actor,
            action=status,
            comment=reason,
            at=uow.now,
        )
        uow.emit(
            Event(
                "process.completed",
                L.row.app_id,
                L.row.table_id,
                L.row.record_id,
                {"instance_id": L.row.id, "definition": L.drow.key, "status": status},
                actor,
            )
        )

    # -- task actions ------------------------------------------------------------------------
    def act(
        self, task_id: int, action: str, body: dict[str, Any], principal: Principal
    ) -> dict[str, Any]:
        if action not in ACTIONS:
            raise Invalid.on("action", "task.action_unknown", action=action)
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
        with unit_of_work(self.s, write=False) as uow:  # the system's view of the record
            t = repo.task(uow.conn, task_id)
            inst = repo.instance(uow.conn, t.instance_id)
            drow = self._drow(uow, inst.definition_id)
            step = self._definition(drow).model.step(t.step_id)
            self._check_actor(uow, t, action, principal)
            if expected is not None and expected != t.version:
                raise Conflict("task.stale", expected=expected, actual=t.version)
            attachments = self._attachments(uow, body.get("attachments"))
            schema = uow.catalog.schema(t.table_id) if t.table_id else None
            if inst.status == "error":
                raise Conflict("process.failed")
            if inst.status != "running":
                raise Conflict("process.not_running", status=inst.status)
            record = self._record_in(uow, schema, inst.record_id)
        seen = t.version
        data = body.get("data") or {}
        with unit_of_work(self.s, principal=principal) as uow:
            # The work item first: a second actor on it (claim race, complete twice) waits
            # here, then finds another version: 409, and nothing of theirs is written.
            if not repo.take_task(uow.conn, task_id, seen):
                now = repo.task(uow.conn, task_id)
                if now.status != "open":
                    raise Conflict("task.not_open")
                raise Conflict("task.stale", expected=seen, actual=now.version)
            t = repo.task(uow.conn, task_id)
            self._check_actor(uow, t, action, principal, taken=True)
            row = repo.instance(uow.conn, t.instance_id)
            if row.status != "running":
                raise Conflict("process.not_running", status=row.status)
            if action in ("complete", "approve", "reject", "return") and data:
                record = self._write_form(uow, schema, row, step, data, record)
            if action in ("complete", "approve") and t.kind == "task":
                missing = [k for k in sorted(step.required) if is_blank(record.get(k))]
                if missing:
                    raise Invalid("invalid.input", {k: [_msg("field.required")] for k in missing})
            L = self._load(uow, row, record)
            user = principal.user_id
            handler = getattr(self, f"_do_{action}")
            handler(uow, L, t, step, user, comment, attachments, body)
            self._save(uow, L)
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
                    "status": L.status,
                    "incident": L.meta.get("incident") if L.status == "error" else None,
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

    def _check_actor(
        self, uow: UnitOfWork, t: Any, action: str, principal: Principal, taken: bool = False
    ) -> None:
        if t.status != "open" and not taken:
            raise Conflict("task.not_open")
        user = principal.user_id
        if action == "claim":
            if t.assignee_id is not None:
                raise Conflict("task.claimed")
            if t.candidate not in self._groups(uow, user, principal.is_admin):
                raise Forbidden("task.not_candidate")
            return
        if t.assignee_id is None:
            raise Conflict("task.claim_first")
        if t.assignee_id != user and not principal.is_admin:
            raise Forbidden("task.not_assignee")

    def _attachments(self, uow: UnitOfWork, value: Any) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise Invalid.on("attachments", "value.choices")
        f = system.files
        found = set(
            uow.conn.execute(
                f.select().with_only_columns(f.c.id).where(f.c.id.in_(value))
            ).scalars()
        )
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
        self.s.records.bulk_in(
            uow, schema.app.key, schema.table.key, [item], single=True, return_items=False
        )
        return self._record_in(UnitOfWork(self.s, uow.conn, None, SYSTEM), schema, inst.record_id)

    def _event(
        self,
        uow: UnitOfWork,
        L: Loaded,
        t: Any,
        actor: int | None,
        action: str,
        comment: str | None,
        details: dict[str, Any] | None = None,
    ) -> None:
        repo.add_event(
            uow.conn,
            instance_id=L.row.id,
            task_id=t.id,
            step_id=t.step_id,
            step_name=t.step_name,
            actor_id=actor,
            action=action,
            comment=comment,
            details=details or {},
            at=uow.now,
        )

    def _finish_item(self, uow: UnitOfWork, t: Any, user: int, action: str, comment, files) -> None:
        repo.update_task(
            uow.conn,
            t.id,
            status="done",
            action=action,
            comment=comment,
            attachments=files or None,
            completed_at=uow.now,
            completed_by=user,
            alarm_at=None,
        )

    def _do_complete(self, uow, L, t, step, user, comment, files, body, action="complete"):
        self._finish_item(uow, t, user, action, comment, files)
        self._event(uow, L, t, user, action, comment, {"attachments": files} if files else None)
        if t.kind == "return":
            self._resume(uow, L, t)
            return
        siblings = [
            r
            for r in repo.instance_tasks(uow.conn, L.row.id, ["open", "waiting"])
            if r.engine_task_id == t.engine_task_id and r.id != t.id
        ]
        if step.sign == "all" and action != "reject" and siblings:
            return  # a countersign waits for everyone
        repo.close_tasks(uow.conn, [r.id for r in siblings], "cancelled", uow.now)
        L.meta.setdefault("completed_by", {})[t.step_id] = user
        L.meta["last_actor"] = user
        if action == "reject" and step.on_reject == "end":
            self._end(uow, L, "rejected", user, comment)
            return
        decision = {
            "action": action,
            "comment": comment or "",
            "approved": action != "reject",
            "rejected": action == "reject",
        }
        task = t.engine_task_id
        redo = {"type": action, "task": task, "task_step": t.step_id, "task_id": t.id}
        self._engine_step(
            uow, L, lambda: L.run.complete(task, decision), {**redo, "data": decision}
        )

    def _do_approve(self, uow, L, t, step, user, comment, files, body):
        self._do_complete(uow, L, t, step, user, comment, files, body, "approve")

    def _do_reject(self, uow, L, t, step, user, comment, files, body):
        self._do_complete(uow, L, t, step, user, comment, files, body, "reject")

    def _do_return(self, uow, L, t, step, user, comment, files, body):
        """Back to an earlier step the instance has passed (chosen by the assignee)."""
        target = body.get("to_step")
        passed = [sid for _, sid in L.run.passed()]
        if not isinstance(target, str) or target not in passed or target == t.step_id:
            raise Invalid.on("to_step", "task.return_target")
        if not comment:
            raise Invalid.on("comment", "task.comment_required")
        repo.update_task(
            uow.conn,
            t.id,
            status="returned",
            action="return",
            comment=comment,
            attachments=files or None,
            completed_at=uow.now,
            completed_by=user,
            alarm_at=None,
        )
        self._event(
            uow, L, t, user, "return", comment, {"to_step": target, "policy": step.return_policy}
        )
        previous = L.meta.get("completed_by", {}).get(target)
        if step.return_policy == "resume":
            # The returning step waits; the earlier step's owner redoes it, then it comes back.
            others = [
                r
                for r in repo.instance_tasks(uow.conn, L.row.id, ["open"])
                if r.engine_task_id == t.engine_task_id
            ]
            for r in others:
                repo.update_task(uow.conn, r.id, status="waiting", alarm_at=None)
            target_step = L.definition.model.step(target)
            [detour] = self._open_step(
                uow,
                L,
                t.engine_task_id,
                target,
                target_step.name,
                {},
                kind="return",
                only=previous if previous is not None else L.row.initiator_id,
            )
            L.meta.setdefault("detours", {})[str(detour)] = {"back_to": t.id, "by": user}
            return
        # Re-run: the engine goes back to the target; the steps in between run again.
        if previous is not None:
            L.meta.setdefault("returned", {})[target] = previous
        still = repo.instance_tasks(uow.conn, L.row.id, ["open", "waiting"])
        repo.close_tasks(uow.conn, [r.id for r in still], "cancelled", uow.now)
        redo = {"type": "return", "to_step": target, "task_step": t.step_id, "task_id": t.id}
        self._engine_step(uow, L, lambda: L.run.rerun_from(target), redo)

    def _resume(self, uow: UnitOfWork, L: Loaded, t: Any) -> None:
        """A returned-to step is done again: the step that returned it is open once more."""
        info = L.meta.get("detours", {}).pop(str(t.id), None)
        if info is None:
            return
        back = repo.task(uow.conn, info["back_to"])
        waiting = [
            r
            for r in repo.instance_tasks(uow.conn, L.row.id, ["waiting"])
            if r.engine_task_id == back.engine_task_id
        ]
        for r in waiting:
            repo.update_task(uow.conn, r.id, status="open")
        L.meta.setdefault("completed_by", {})[t.step_id] = t.assignee_id
        self._open_step(
            uow, L, back.engine_task_id, back.step_id, back.step_name, {}, only=info["by"]
        )

    def _target_user(self, uow: UnitOfWork, body: dict[str, Any], key: str = "to") -> int:
        uid = people.user_id(uow.conn, body.get(key))
        if uid is None:
            raise Invalid.on(key, "task.user_unknown")
        return uid

    def _do_transfer(self, uow, L, t, step, user, comment, files, body, action="transfer"):
        to = self._target_user(uow, body)
        repo.update_task(uow.conn, t.id, assignee_id=to, delegated_from=t.assignee_id)
        self._event(uow, L, t, user, action, comment, {"from": t.assignee_id, "to": to})

    def _do_delegate(self, uow, L, t, step, user, comment, files, body):
        self._do_transfer(uow, L, t, step, user, comment, files, body, "delegate")

    def _do_add_signer(self, uow, L, t, step, user, comment, files, body):
        if not step.sign:
            raise Invalid.on("action", "task.not_countersign")
        to = self._target_user(uow, body)
        open_same = [
            r
            for r in repo.instance_tasks(uow.conn, L.row.id, ["open"])
            if r.engine_task_id == t.engine_task_id and r.assignee_id == to
        ]
        if open_same:
            raise Conflict("task.signer_exists")
        self._open_step(
            uow, L, t.engine_task_id, t.step_id, t.step_name, {}, only=to, kind="signer"
        )
        self._event(uow, L, t, user, "add_signer", comment, {"signer": to})

    def _do_comment(self, uow, L, t, step, user, comment, files, body):
        if not comment and not files:
            raise Invalid.on("comment", "task.comment_required")
        self._event(uow, L, t, user, "comment", comment, {"attachments": files} if files else None)

    def _do_attach(self, uow, L, t, step, user, comment, files, body):
        if not files:
            raise Invalid.on("attachments", "task.file_unknown", id="")
        self._event(uow, L, t, user, "attach", comment, {"attachments": files})

    def _do_claim(self, uow, L, t, step, user, comment, files, body):
        repo.update_task(uow.conn, t.id, assignee_id=user, candidate=None, claimed_at=uow.now)
        siblings = [
            r
            for r in repo.instance_tasks(uow.conn, L.row.id, ["open"])
            if r.engine_task_id == t.engine_task_id and r.id != t.id and r.assignee_id is None
        ]
        repo.close_tasks(uow.conn, [r.id for r in siblings], "cancelled", uow.now)
        self._event(uow, L, t, user, "claim", comment, {"candidate": t.candidate})

    # -- withdraw, cancel ------------------------------------------------------------------
    def withdraw(
        self, instance_id: int, body: dict[str, Any], principal: Principal
    ) -> dict[str, Any]:
        return self._stop(instance_id, body, principal, "withdrawn")

    def cancel(
        self, instance_id: int, body: dict[str, Any], principal: Principal
    ) -> dict[str, Any]:
        return self._stop(instance_id, body, principal, "cancelled")

    def _stop(self, instance_id: int, body: dict[str, Any], principal: Principal, status: str):
        reason = body.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise Invalid.on("reason", "value.text")
        with unit_of_work(self.s, write=False) as uow:
            row = repo.instance(uow.conn, instance_id)
        if status == "withdrawn":
            if principal.user_id is None or principal.user_id != row.initiator_id:
                raise Forbidden("process.initiator_only")
        else:
            if not principal.is_admin or principal.read_only:
                raise Forbidden("auth.admin_only")
            if not reason or not reason.strip():
                raise Invalid.on("reason", "process.reason_required")
        # An instance stopped at an incident can be ended too (its version may have no way on).
        if row.status not in ("running", "error"):
            raise Conflict("process.not_running", status=row.status)
        record = self._read_record(row.table_id, row.record_id)
        with unit_of_work(self.s, principal=principal) as uow:
            row = repo.instance(uow.conn, instance_id)
            if row.status not in ("running", "error"):
                raise Conflict("process.not_running", status=row.status)
            L = self._load(uow, row, record)
            self._end(uow, L, status, principal.user_id, reason)
            self._save(uow, L)
            uow.conn.execute(
                system.process_instances.update()
                .where(system.process_instances.c.id == instance_id)
                .values(reason=reason)
            )
            uow.audit(
                Entry(
                    f"process.{'withdraw' if status == 'withdrawn' else 'cancel'}",
                    "process_instance",
                    instance_id,
                    row.app_id,
                    row.table_id,
                    {"reason": reason},
                )
            )
        return self.instance(instance_id, SYSTEM)

    # -- reads -----------------------------------------------------------------------------
    def _may_see(self, uow: UnitOfWork, row: Any, principal: Principal) -> None:
        if principal.user_id is None or principal.is_admin:
            return
        if row.initiator_id == principal.user_id:
            return
        t = system.tasks
        took_part = uow.conn.execute(
            t.select()
            .with_only_columns(t.c.id)
            .where(
                t.c.instance_id == row.id,
                (t.c.assignee_id == principal.user_id) | (t.c.completed_by == principal.user_id),
            )
            .limit(1)
        ).first()
        if took_part:
            return
        if row.table_id is not None and row.record_id is not None:
            s = uow.catalog.schema(row.table_id)
            if guard(uow).access(s).can("read") and guard(uow).in_scope(s, [row.record_id], "read"):
                return
        raise NotFound("process.instance_not_found", id=row.id)

    def instance(self, instance_id: int, principal: Principal) -> dict[str, Any]:
        """The instance with its timeline: steps (assignee, start, end, duration, action,
        comment), every event, and where it stands now."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            row = repo.instance(uow.conn, instance_id)
            self._may_see(uow, row, principal)
            drow = self._drow(uow, row.definition_id)
            items = repo.instance_tasks(uow.conn, instance_id)
            evs = repo.events(uow.conn, instance_id)
            names = store_users.display_names(
                uow.conn,
                {t.assignee_id for t in items}
                | {t.completed_by for t in items}
                | {e.actor_id for e in evs}
                | {row.initiator_id},
            )
            now = uow.now
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
                        "started_at": _iso(t.created_at),
                        "ended_at": _iso(end),
                        "duration_seconds": int(((end or now) - t.created_at).total_seconds()),
                        "due_at": _iso(t.due_at),
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
                "table": uow.catalog.schema(row.table_id).table.key if row.table_id else None,
                "record_id": row.record_id,
                "status": row.status,
                "initiator_id": row.initiator_id,
                "initiator": names.get(row.initiator_id),
                "started_at": _iso(row.started_at),
                "ended_at": _iso(row.ended_at),
                "reason": row.reason,
                "timer_due_at": _iso(row.timer_due_at),
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
                        "at": _iso(e.at),
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

    def of_record(
        self, app: str, table: str, record_id: int, principal: Principal
    ) -> dict[str, Any]:
        """The processes of a record (what the record page shows), if the caller may read it."""
        self.s.records.get(app, table, record_id, principal=principal)
        with unit_of_work(self.s, write=False) as uow:
            s = uow.catalog.table(app, table)
            rows = repo.instances_of_record(uow.conn, s.id, record_id)
            out = []
            for r in rows:
                current = [
                    {
                        "task_id": t.id,
                        "step": t.step_id,
                        "name": t.step_name,
                        "assignee_id": t.assignee_id,
                    }
                    for t in repo.instance_tasks(uow.conn, r.id, ["open"])
                ]
                out.append(
                    {
                        "id": r.id,
                        "process": {"key": r.key, "name": r.name, "version": r.version},
                        "status": r.status,
                        "started_at": _iso(r.started_at),
                        "ended_at": _iso(r.ended_at),
                        "current": current,
                    }
                )
            return {"items": out}

    def task(self, task_id: int, principal: Principal, with_record: bool = True) -> dict[str, Any]:
        """A task with its step form, the record's fields the form shows and what can be done."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            t = repo.task(uow.conn, task_id)
            row = repo.instance(uow.conn, t.instance_id)
            self._may_see(uow, row, principal)
            drow = self._drow(uow, row.definition_id)
            step = self._definition(drow).model.step(t.step_id)
            passed = []
            for r in repo.instance_tasks(uow.conn, row.id, ["done"]):
                if r.kind == "task" and r.step_id != t.step_id and r.step_id not in passed:
                    passed.append(r.step_id)
        record = self._read_record(row.table_id, row.record_id) if with_record else {}
        if step.form and record:
            shown = {f.key for f in step.form}
            record = {k: v for k, v in record.items() if k in shown or k in ("id", "version")}
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
        return {
            "id": t.id,
            "instance_id": t.instance_id,
            "process": {"key": drow.key, "name": drow.name, "version": drow.version},
            "step": t.step_id,
            "name": t.step_name,
            "kind": t.kind,
            "status": t.status,
            "assignee_id": t.assignee_id,
            "candidate": t.candidate,
            "due_at": _iso(t.due_at),
            "created_at": _iso(t.created_at),
            "completed_at": _iso(t.completed_at),
            "action": t.action,
            "comment": t.comment,
            "escalation_level": t.escalation_level,
            "version": t.version,
            "sign": step.sign,
            "form": [{"key": f.key, "access": f.access, "required": f.required} for f in step.form],
            "record": record,
            "returnable_steps": passed,
            "actions": actions,
        }

    def inbox(
        self, principal: Principal, box: str, filters: dict[str, Any], limit: int, offset: int
    ) -> dict[str, Any]:
        if box not in ("mine", "claimable", "overdue", "done"):
            raise Invalid.on("box", "task.box_unknown", box=box)
        if principal.user_id is None:
            raise Forbidden("auth.forbidden")
        limit = max(1, min(limit, MAX_PAGE))
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            f = dict(filters)
            if f.get("app"):
                f["app_id"] = uow.catalog.app(f.pop("app")).id
            groups = (
                self._groups(uow, principal.user_id, principal.is_admin)
                if box == "claimable"
                else []
            )
            rows = repo.inbox(uow.conn, box, principal.user_id, groups, uow.now, f, limit, offset)
            now = uow.now
            return {
                "items": [
                    {
                        "id": r.id,
                        "instance_id": r.instance_id,
                        "process": {"key": r.process_key, "name": r.process_name},
                        "step": r.step_id,
                        "name": r.step_name,
                        "kind": r.kind,
                        "status": r.status,
                        "assignee_id": r.assignee_id,
                        "candidate": r.candidate,
                        "due_at": _iso(r.due_at),
                        "overdue": bool(r.due_at and r.status == "open" and r.due_at < now),
                        "created_at": _iso(r.created_at),
                        "completed_at": _iso(r.completed_at),
                        "action": r.action,
                        "table_id": r.table_id,
                        "record_id": r.record_id,
                        "escalation_level": r.escalation_level,
                        "version": r.version,
                    }
                    for r in rows
                ],
                "limit": limit,
                "offset": offset,
            }

    def counts(self, principal: Principal) -> dict[str, int]:
        if principal.user_id is None:
            raise Forbidden("auth.forbidden")
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            groups = self._groups(uow, principal.user_id, principal.is_admin)
            return {
                box: repo.inbox_count(uow.conn, box, principal.user_id, groups, uow.now)
                for box in ("mine", "claimable", "overdue", "done")
            }

    # -- the worker's scan -----------------------------------------------------------------
    def tick(self) -> dict[str, int]:
        """Fire what has come due: BPMN timers, then reminders, breaches and escalations. What
        came due while nothing ran fires now, in order. Safe to run from several workers."""
        with unit_of_work(self.s, write=False) as uow:
            timer_ids = repo.due_timers(uow.conn, uow.now)
        fired = 0
        for iid in timer_ids:
            try:
                fired += self._fire_timers(iid)
            except Conflict:
                continue  # somebody else moved it on; the next scan looks again
        with unit_of_work(self.s, write=False) as uow:
            alarm_ids = [t.id for t in repo.due_alarms(uow.conn, uow.now)]
        alarms = 0
        for tid in alarm_ids:
            try:
                alarms += self._fire_alarms(tid)
            except Conflict:
                continue
        return {"timers": fired, "alarms": alarms}

    def _fire_timers(self, instance_id: int) -> int:
        with unit_of_work(self.s, write=False) as uow:
            row = repo.instance(uow.conn, instance_id)
        record = self._read_record(row.table_id, row.record_id)
        with unit_of_work(self.s) as uow:
            row = repo.instance(uow.conn, instance_id)
            if row.status != "running" or row.timer_due_at is None or row.timer_due_at > uow.now:
                return 0
            L = self._load(uow, row, record)
            repo.add_event(
                uow.conn,
                instance_id=instance_id,
                action="timer",
                details={"due_at": _iso(row.timer_due_at)},
                at=uow.now,
            )
            self._engine_step(uow, L, L.run.refresh_timers, {"type": "timer"})
            self._save(uow, L)
            return 1

    def _fire_alarms(self, task_id: int) -> int:
        with unit_of_work(self.s) as uow:
            t = repo.task(uow.conn, task_id)
            if t.status != "open" or t.alarm_at is None or t.alarm_at > uow.now:
                return 0
            row = repo.instance(uow.conn, t.instance_id)
            drow = self._drow(uow, row.definition_id)
            step = self._definition(drow).model.step(t.step_id)
            plan = deadlines.alarms(step, t.due_at)
            stage, fired = t.alarm_stage, 0
            assignee, level, escalated_from = t.assignee_id, t.escalation_level, t.escalated_from
            notifier = ProcessNotifier(self.s, uow, row)
            link = f"/tasks/{t.id}"
            while stage < len(plan) and plan[stage].at <= uow.now:
                alarm = plan[stage]
                stage += 1
                fired += 1
                base = dict(
                    instance_id=row.id,
                    task_id=t.id,
                    step_id=t.step_id,
                    step_name=t.step_name,
                    at=uow.now,
                )
                if alarm.kind == "remind":
                    if assignee is not None:
                        notifier.notify(
                            instance_id=row.id,
                            user_id=assignee,
                            subject=f"{t.step_name}: due {_iso(t.due_at)}",
                            body="reminder",
                            link=link,
                            key=f"task:{t.id}:remind",
                        )
                    repo.add_event(
                        uow.conn,
                        action="reminded",
                        details={"to": assignee, "due_at": _iso(t.due_at)},
                        **base,
                    )
                elif alarm.kind == "overdue":
                    repo.add_event(
                        uow.conn,
                        action="overdue",
                        details={"assignee_id": assignee, "due_at": _iso(t.due_at)},
                        **base,
                    )
                    uow.emit(
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
                        people.manager_chain(uow.conn, origin, alarm.level)
                        if origin is not None
                        else None
                    )
                    level = alarm.level
                    repo.add_event(
                        uow.conn,
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
                            subject=f"{t.step_name}: overdue since {_iso(t.due_at)}",
                            body=f"escalation level {alarm.level}",
                            link=link,
                            key=f"task:{t.id}:escalate:{alarm.level}",
                        )
                    if target is not None and esc.reassign:
                        escalated_from = origin
                        assignee = target
            repo.update_task(
                uow.conn,
                t.id,
                bump=assignee != t.assignee_id,  # reassigned: an earlier view is stale
                alarm_stage=stage,
                alarm_at=plan[stage].at if stage < len(plan) else None,
                escalation_level=level,
                assignee_id=assignee,
                escalated_from=escalated_from,
            )
            return fired

    # -- record events -----------------------------------------------------------------------
    def on_record_created(self, event: OutboxEvent) -> None:
        with unit_of_work(self.s, write=False) as uow:
            defs = repo.auto_start_definitions(uow.conn, event.table_id or 0)
            todo = [
                d
                for d in defs
                if not repo.has_instance(uow.conn, d.key, d.app_id, event.record_id or 0)
            ]
        for drow in todo:
            record = self._read_record(drow.table_id, event.record_id)
            if not record:
                continue
            self._start(drow, event.record_id, record, SYSTEM, event.actor_id, {})

    def on_record_updated(self, event: OutboxEvent) -> None:
        """A deadline read from a record field follows the field when it is edited."""
        changed = set((event.payload or {}).get("changes") or {})
        if not changed or event.table_id is None or event.record_id is None:
            return
        with unit_of_work(self.s, write=False) as uow:
            tasks = repo.open_tasks_of_record(uow.conn, event.table_id, event.record_id)
        if not tasks:
            return
        record = self._read_record(event.table_id, event.record_id)
        with unit_of_work(self.s) as uow:
            for t in tasks:
                row = repo.instance(uow.conn, t.instance_id)
                drow = self._drow(uow, row.definition_id)
                step = self._definition(drow).model.step(t.step_id)
                if not step.deadline or step.deadline.field not in changed:
                    continue
                due = self._deadline(uow, step, t.created_at, record)
                plan = deadlines.alarms(step, due)
                stage = sum(1 for a in plan if a.at <= uow.now and plan.index(a) < t.alarm_stage)
                repo.update_task(
                    uow.conn,
                    t.id,
                    due_at=due,
                    alarm_stage=stage,
                    alarm_at=plan[stage].at if stage < len(plan) else None,
                )
                repo.add_event(
                    uow.conn,
                    instance_id=row.id,
                    task_id=t.id,
                    step_id=t.step_id,
                    step_name=t.step_name,
                    action="deadline_changed",
                    details={"from": _iso(t.due_at), "to": _iso(due), "field": step.deadline.field},
                    at=uow.now,
                )


def _msg(key: str, **params: Any) -> Any:
    from cairn.core import Message

    return Message(key, params)


def _step_json(s: Step) -> dict[str, Any]:
    d = s.deadline
    return {
        "id": s.id,
        "name": s.name,
        "sign": s.sign,
        "assignees": [{"type": r.kind, "value": r.value} for r in s.assignees],
        "candidates": list(s.candidates),
        "form": [{"key": f.key, "access": f.access, "required": f.required} for f in s.form],
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
    }


class ProcessEvents:
    """The process engine's ``EventHandler``: auto-start on create, deadline fields on update."""

    name = "process"

    def __init__(self, services: Services) -> None:
        self.s = services

    def wants(self, event: OutboxEvent) -> bool:
        if event.type == SERVICE_EVENT:
            return True
        return event.type in ("record.created", "record.updated") and event.table_id is not None

    def handle(self, event: OutboxEvent) -> None:
        if event.type == SERVICE_EVENT:
            self.s.processes.service_tasks.handle(event)
        elif event.type == "record.created":
            self.s.processes.on_record_created(event)
        else:
            self.s.processes.on_record_updated(event)

    def handle_batch(self, events: Sequence[OutboxEvent]) -> dict[int, Exception]:
        """``handle`` for the events that may concern a process, found with one look-up for
        the batch: creations in tables with a process to start, updates of records with an
        open task (the others have nothing to do). Failures by event id."""
        updated: list[tuple[int, int]] = []
        for e in events:
            if e.type == "record.updated" and e.table_id is not None and e.record_id is not None:
                updated.append((e.table_id, e.record_id))
        created = {e.table_id for e in events if e.type == "record.created"}
        with unit_of_work(self.s, write=False) as uow:
            busy = repo.records_with_open_tasks(uow.conn, updated) if updated else set()
            starting = {t for t in created if t and repo.auto_start_definitions(uow.conn, t)}
        errors: dict[int, Exception] = {}
        for e in events:
            if e.type == "record.created" and e.table_id not in starting:
                continue
            if e.type == "record.updated" and (e.table_id, e.record_id) not in busy:
                continue
            try:
                self.handle(e)
            except Exception as x:  # the event comes back later
                errors[e.id] = x
        return errors
