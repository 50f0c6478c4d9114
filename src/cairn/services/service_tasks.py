"""BPMN service tasks: each runs its ``cairn:action`` list (rule actions: update record, create
record, notify, webhook) through the rule engine's action code (``services.rule_actions``).

Exactly once, even when a step is retried:
- A database write (a record updated or created, an in-app notification) runs inside the
  step's transaction, in a savepoint, as the system; its index joins the task's ``done`` list
  in the instance's meta in that same transaction.
- An outside delivery (e-mail, SMS, robots, webhooks) must not run inside a transaction: the
  task waits (Spiff state STARTED) and a ``process.service`` outbox event carries it to the
  worker, which sends it with the idempotency key ``process:<instance>:<run>:<index>`` (the
  notifier sends each key once) and then, in one transaction, marks it done and goes on with
  the next actions and the flow. A failure a retry may cure is raised to the dispatcher
  (back-off); the last try gives up.
- A failed action (invalid values, a closed channel, the last try) rolls back its savepoint
  and puts the instance in status ``error`` with an ``incident`` and a ``service_failed``
  entry in the timeline; ``retry`` (an admin) runs the task again from the failed action.

``<run>`` is a counter per instance: a service task run again later (a return that re-runs
the steps in between) is a new run and sends again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Entry, Principal, audit
from cairn.core import CairnError, Conflict, Event, Forbidden
from cairn.formula import Formula
from cairn.process import repo
from cairn.rules import RunContext, evaluate
from cairn.services import rule_actions
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store.outbox import MAX_ATTEMPTS, OutboxEvent

if TYPE_CHECKING:
    from cairn.services.process import Loaded, ProcessService

EVENT = "process.service"


@dataclass(frozen=True)
class Compiled:
    specs: list[Any]
    formulas: dict[str, Formula]


def _nothing(*args: Any) -> None:
    return None


def _text(e: Exception) -> str:
    if isinstance(e, CairnError):
        from cairn.core.i18n import render

        try:
            text = render(e.message, "en")
            details = [
                f"{k}: {render(m, 'en')}"
                for k, ms in (getattr(e, "field_errors", None) or {}).items()
                for m in ms
            ]
        except Exception:
            return e.message.key
        return "; ".join([text, *details])[:2000]
    return f"{type(e).__name__}: {e}"[:2000]


class ServiceTasks:
    def __init__(self, processes: ProcessService) -> None:
        self.p = processes
        self.s = processes.s

    # -- deploy ------------------------------------------------------------------------------
    def validate(self, uow: UnitOfWork, L_model: Any, schema: Any) -> None:
        """Every service task names actions a rule could run on the process's table."""
        from cairn.core import Invalid

        for sid, svc in L_model.services.items():
            loc = f"bpmn.{sid}.actions"
            if not svc.actions:
                raise Invalid.on(f"bpmn.{sid}", "process.service_no_action")
            specs = rule_actions.parse_actions(svc.actions, loc)
            if schema is None:
                raise Invalid.on(f"bpmn.{sid}", "task.no_record")
            rule_actions.check_actions(self.s, uow, schema, specs, loc)

    def _compiled(self, uow: UnitOfWork, L: Loaded, step_id: str) -> Compiled:
        key = ("service", L.drow.id, step_id, uow.catalog.version)
        c = self.s.process_cache.get(key)
        if c is None:
            svc = L.definition.model.services[step_id]
            loc = f"bpmn.{step_id}.actions"
            specs = rule_actions.parse_actions(svc.actions, loc)
            formulas = rule_actions.check_actions(self.s, uow, L.schema, specs, loc)  # type: ignore[arg-type]
            c = Compiled(specs, formulas)
            self.s.process_cache[key] = c
        return c

    def _context(self, uow: UnitOfWork, L: Loaded, step_id: str, c: Compiled, i: int) -> Any:
        """The rule engine's ``RunContext`` over the record as it is now (system view)."""
        schema = L.schema
        assert schema is not None
        record_id = L.row.record_id
        values = (
            evaluate(uow.conn, uow.catalog, schema, record_id, c.formulas, self.s.clock) or {}
            if c.formulas
            else {}
        )
        record = self.p._record_in(uow, schema, record_id)
        name = L.definition.model.services[step_id].name
        info = rule_actions.rule_info(uow.catalog, schema, L.drow.key, name)
        info["link"] = f"/apps/{schema.app.key}/tables/{schema.table.key}/records/{record_id}"
        return RunContext(info, record_id, record, values, i)

    # -- running -----------------------------------------------------------------------------
    def run(self, uow: UnitOfWork, L: Loaded, step_id: str, task_id: str) -> bool:
        """Go on with a service task's actions in ``uow`` (the step's transaction): True when
        all are done; False when it waits (an outside delivery queued, or an incident)."""
        svc = L.definition.model.services.get(step_id)
        if svc is None or not svc.actions:
            return True
        runs = L.meta.setdefault("service", {})
        entry = runs.get(task_id)
        if entry is None:
            seq = int(L.meta.get("service_seq", 0)) + 1
            L.meta["service_seq"] = seq
            entry = runs[task_id] = {"step": step_id, "seq": seq, "done": []}
        try:
            c = self._compiled(uow, L, step_id)
        except CairnError as e:  # the table changed under a deployed definition
            self.incident(uow, L, task_id, step_id, 0, "check", e)
            return False
        system = UnitOfWork(self.s, uow.conn, None, SYSTEM)  # writes as the system
        for i, spec in enumerate(c.specs):
            if i in entry["done"]:
                continue
            if not rule_actions.is_local(spec):
                uow.emit(
                    Event(
                        EVENT,
                        L.row.app_id,
                        L.row.table_id,
                        L.row.record_id,
                        {"instance_id": L.row.id, "task": task_id, "index": i},
                    )
                )
                self._event(uow, L, step_id, "service_queued", {"index": i, "type": spec.type})
                return False
            try:
                with uow.conn.begin_nested():
                    ctx = self._context(system, L, step_id, c, i)
                    key = f"process:{L.row.id}:{entry['seq']}:{i}"
                    result = rule_actions.run_action(
                        spec, ctx, rule_actions.InlinePorts(self.s, system), key, _nothing
                    )
                    if system.audit_entries:
                        audit.append(uow.conn, uow.now, SYSTEM, system.audit_entries)
            except Exception as e:
                system.events.clear()
                system.audit_entries.clear()
                system.before_commit.clear()
                self.incident(uow, L, task_id, step_id, i, spec.type, e)
                return False
            uow.events.extend(system.events)
            uow.before_commit.extend(system.before_commit)
            for fn in system._after_commit:
                uow.after_commit(fn)
            system.events, system.audit_entries = [], []
            system.before_commit, system._after_commit = [], []
            entry["done"].append(i)
            self._done(uow, L, step_id, i, spec.type, result)
        runs.pop(task_id, None)
        self._event(uow, L, step_id, "service", {"actions": len(c.specs)})
        return True

    def _done(
        self, uow: UnitOfWork, L: Loaded, step_id: str, i: int, kind: str, result: Any
    ) -> None:
        details: dict[str, Any] = {"index": i, "type": kind}
        if result is not None:
            details["result"] = result
        self._event(uow, L, step_id, "service_action", details)

    def _event(
        self, uow: UnitOfWork, L: Loaded, step_id: str, action: str, details: dict[str, Any]
    ) -> None:
        repo.add_event(
            uow.conn,
            instance_id=L.row.id,
            step_id=step_id,
            step_name=L.definition.model.services[step_id].name[:200],
            action=action,
            details=details,
            at=uow.now,
        )

    def incident(
        self, uow: UnitOfWork, L: Loaded, task_id: str, step_id: str, i: int, kind: str, e: Any
    ) -> None:
        """The instance stops in status ``error`` until an admin retries it."""
        error = _text(e) if isinstance(e, Exception) else str(e)
        L.status = "error"
        L.meta["incident"] = {
            "task": task_id,
            "step": step_id,
            "index": i,
            "type": kind,
            "error": error,
            "at": uow.now.isoformat() + "Z",
        }
        self._event(uow, L, step_id, "service_failed", {"index": i, "type": kind, "error": error})

    def _finish(self, uow: UnitOfWork, L: Loaded, task_id: str) -> None:
        """The task's actions are all done: it completes and the flow goes on (an engine
        error on the way is an incident: ``ProcessService._engine_step``)."""
        redo = {"type": "service_done", "task": task_id}
        self.p._engine_step(uow, L, lambda: L.run.finish_service(task_id), redo)

    # -- the worker: outside deliveries ------------------------------------------------------
    def handle(self, event: OutboxEvent) -> None:
        p = event.payload or {}
        iid, task_id, i = p.get("instance_id"), p.get("task"), p.get("index")
        if not isinstance(iid, int) or not isinstance(task_id, str) or not isinstance(i, int):
            return
        with unit_of_work(self.s, write=False) as uow:
            row = repo.instance(uow.conn, iid)
        entry = (row.meta or {}).get("service", {}).get(task_id)
        if row.status != "running" or entry is None or i in entry["done"]:
            return  # a replay of what is done, or the instance has ended
        record = self.p._read_record(row.table_id, row.record_id)
        step_id, kind = entry["step"], "?"
        key = f"process:{iid}:{entry['seq']}:{i}"

        def also(uow: UnitOfWork, result: Any = None) -> None:
            row = repo.instance(uow.conn, iid)
            if row.status != "running":
                return
            schema = uow.catalog.schema(row.table_id) if row.table_id else None
            now = self.p._record_in(uow, schema, row.record_id)  # after this action
            self._go_on(uow, self.p._load(uow, row, now), task_id, step_id, i, kind, result)

        try:
            with unit_of_work(self.s, write=False) as uow:
                L = self.p._load(uow, row, record)
                c = self._compiled(uow, L, step_id)
                spec = c.specs[i]
                kind = spec.type
                ctx = self._context(uow, L, step_id, c, i)
            from cairn.services.rules import ServicePorts

            rule_actions.run_action(spec, ctx, ServicePorts(self.s, SYSTEM, {}), key, also)
        except Exception as e:
            # A concurrent step (409) or a channel that may come back: the dispatcher tries
            # again after a back-off; the last try, or a lasting error, is an incident.
            retryable = getattr(
                e, "retryable", isinstance(e, Conflict) or not isinstance(e, CairnError)
            )
            if retryable and event.attempts < MAX_ATTEMPTS:
                raise
            with unit_of_work(self.s) as uow:
                row = repo.instance(uow.conn, iid)
                if row.status != "running":
                    return
                L = self.p._load(uow, row, record)
                self.incident(uow, L, task_id, step_id, i, kind, e)
                self.p._save(uow, L)

    def _go_on(
        self, uow: UnitOfWork, L: Loaded, task_id: str, step_id: str, i: int, kind: str, result: Any
    ) -> None:
        """An outside delivery went out: mark it done, then the rest of the task and the flow
        (one transaction)."""
        current = L.meta.get("service", {}).get(task_id)
        if current is None or i in current["done"]:
            return  # a replay
        current["done"].append(i)
        self._done(uow, L, step_id, i, kind, result)
        if self.run(uow, L, step_id, task_id):
            self._finish(uow, L, task_id)
        self.p._save(uow, L)

    # -- an admin's retry --------------------------------------------------------------------
    def retry(self, instance_id: int, principal: Principal) -> dict[str, Any]:
        if not principal.is_admin or principal.read_only:
            raise Forbidden("auth.admin_only")
        with unit_of_work(self.s, write=False) as uow:
            row = repo.instance(uow.conn, instance_id)
        if row.status != "error":
            raise Conflict("process.not_failed", status=row.status)
        record = self.p._read_record(row.table_id, row.record_id)
        with unit_of_work(self.s, principal=principal) as uow:
            row = repo.instance(uow.conn, instance_id)
            if row.status != "error":
                raise Conflict("process.not_failed", status=row.status)
            L = self.p._load(uow, row, record)
            incident = L.meta.pop("incident", None) or {}
            L.status = "running"
            repo.add_event(
                uow.conn,
                instance_id=row.id,
                step_id=incident.get("step"),
                actor_id=principal.user_id,
                action="retried",
                details={k: incident.get(k) for k in ("index", "type", "error")},
                at=uow.now,
            )
            # An engine incident: the move that failed, again. Then the failed service task,
            # and any other that waits (its queued delivery is sent again: what went out
            # already is not, by its key).
            if incident.get("kind") != "engine" or self.p.redo(uow, L, incident):
                for task_id, step_id in L.run.waiting_services():
                    if L.status == "running" and self.run(uow, L, step_id, task_id):
                        self._finish(uow, L, task_id)
                if L.status == "running":
                    self.p._sync(uow, L)
            self.p._save(uow, L)
            uow.audit(
                Entry(
                    "process.retry",
                    "process_instance",
                    row.id,
                    row.app_id,
                    row.table_id,
                    {"step": incident.get("step"), "error": incident.get("error")},
                )
            )
        return self.p.instance(instance_id, SYSTEM)
