"""BPMN service tasks: each runs its ``cairn:action`` list (rule actions: update record, create
record, notify, webhook) through the rule engine's action code (``ports.ActionRunner``).

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

from typing import TYPE_CHECKING, Any

from cairn.auth import Entry
from cairn.core import CairnError, Conflict, Event
from cairn.core.i18n import LANGUAGES, render
from cairn.process import repo
from cairn.process.instance import Loaded
from cairn.process.ports import ServiceActions, ServiceCall

if TYPE_CHECKING:
    from cairn.auth import Principal
    from cairn.process.ports import Work
    from cairn.process.runtime import Runtime

#: The outbox event that carries an outside delivery of a service task to the worker.
EVENT = "process.service"


def error_text(e: Exception, language: str = "en") -> str:
    """An action's error as the timeline shows it (English unless asked): its field errors
    when it has any (the general "input not valid" above them says nothing more), else its
    message."""
    if isinstance(e, CairnError):
        try:
            details = [
                f"{k}: {render(m, language)}"
                for k, ms in (getattr(e, "field_errors", None) or {}).items()
                for m in ms
            ]
            text = "; ".join(details) if details else render(e.message, language)
        except Exception:
            return e.message.key
        return text[:2000]
    return f"{type(e).__name__}: {e}"[:2000]


def error_texts(e: Any) -> dict[str, str]:
    """The error in every language the UI speaks (an incident is read in any of them)."""
    if isinstance(e, Exception):
        return {lang: error_text(e, lang) for lang in LANGUAGES}
    return dict.fromkeys(LANGUAGES, str(e))


def service_name(L: Loaded, step_id: str) -> str:
    """The service task's name as drawn (its id when it has none)."""
    svc = L.definition.model.services.get(step_id)
    return svc.name if svc is not None else step_id


class ServiceTaskRunner:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.actions = runtime.ports.actions

    def caller(self, work: Work, L: Loaded) -> ServiceActions:
        """A service task's ``cairn:action`` list, run in this step's transaction (what
        ``ScriptContext.call_service`` is): True when done, False when it waits."""

        def call(step_id: str, task_id: str, data: dict[str, Any]) -> bool:
            return self.run(work, L, step_id, task_id)

        return call

    def compiled(self, work: Work, L: Loaded, step_id: str) -> Any:
        key = ("service", L.drow.id, step_id, work.catalog.version)
        c = self.rt.cache.get(key)
        if c is None:
            svc = L.definition.model.services[step_id]
            c = self.actions.compile(work, L.schema, svc.actions, f"bpmn.{step_id}.actions")
            self.rt.cache[key] = c
        return c

    def _call(self, L: Loaded, step_id: str, seq: int, i: int) -> ServiceCall:
        assert L.schema is not None
        return ServiceCall(
            schema=L.schema,
            record_id=L.row.record_id,
            process_key=L.drow.key,
            step_name=L.definition.model.services[step_id].name,
            index=i,
            key=f"process:{L.row.id}:{seq}:{i}",
        )

    # -- running -----------------------------------------------------------------------------
    def run(self, work: Work, L: Loaded, step_id: str, task_id: str) -> bool:
        """Go on with a service task's actions in ``work`` (the step's transaction): True when
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
            c = self.compiled(work, L, step_id)
        except CairnError as e:  # the table changed under a deployed definition
            self.incident(work, L, task_id, step_id, 0, "check", e)
            return False
        for i, spec in enumerate(c.specs):
            if i in entry["done"]:
                continue
            if not self.actions.is_local(spec):
                work.emit(
                    Event(
                        EVENT,
                        L.row.app_id,
                        L.row.table_id,
                        L.row.record_id,
                        {"instance_id": L.row.id, "task": task_id, "index": i},
                    )
                )
                self._event(work, L, step_id, "service_queued", {"index": i, "type": spec.type})
                return False
            try:
                result = self.actions.run_local(work, c, self._call(L, step_id, entry["seq"], i))
            except Exception as e:
                self.incident(work, L, task_id, step_id, i, spec.type, e)
                return False
            entry["done"].append(i)
            self._done(work, L, step_id, i, spec.type, result)
        runs.pop(task_id, None)
        self._event(work, L, step_id, "service", {"actions": len(c.specs)})
        return True

    def _done(self, work: Work, L: Loaded, step_id: str, i: int, kind: str, result: Any) -> None:
        details: dict[str, Any] = {"index": i, "type": kind}
        if result is not None:
            details["result"] = result
        self._event(work, L, step_id, "service_action", details)

    def _event(
        self, work: Work, L: Loaded, step_id: str, action: str, details: dict[str, Any]
    ) -> None:
        repo.add_event(
            work.conn,
            instance_id=L.row.id,
            step_id=step_id,
            step_name=L.definition.model.services[step_id].name[:200],
            action=action,
            details=details,
            at=work.now,
        )

    def incident(
        self, work: Work, L: Loaded, task_id: str, step_id: str, i: int, kind: str, e: Any
    ) -> None:
        """The instance stops in status ``error`` until an admin retries it."""
        error = error_text(e) if isinstance(e, Exception) else str(e)
        L.status = "error"
        L.meta["incident"] = {
            "task": task_id,
            "step": step_id,
            "name": service_name(L, step_id),
            "index": i,
            "type": kind,
            "error": error,
            "errors": error_texts(e),
            "at": work.now.isoformat() + "Z",
        }
        self._event(work, L, step_id, "service_failed", {"index": i, "type": kind, "error": error})

    def finish(self, work: Work, L: Loaded, task_id: str) -> None:
        """The task's actions are all done: it completes and the flow goes on (an engine
        error on the way is an incident: ``Runtime.engine_step``)."""
        redo = {"type": "service_done", "task": task_id}
        self.rt.engine_step(work, L, lambda: L.run.finish_service(task_id), redo)

    # -- the worker: outside deliveries ------------------------------------------------------
    def deliver(self, payload: dict[str, Any], last_try: bool) -> None:
        """The worker's part of a ``process.service`` event: send the delivery, then mark it
        done and go on. A failure a retry may cure is raised unless ``last_try``; otherwise
        it is an incident."""
        iid, task_id, i = payload.get("instance_id"), payload.get("task"), payload.get("index")
        if not isinstance(iid, int) or not isinstance(task_id, str) or not isinstance(i, int):
            return
        with self.rt.ports.work(write=False) as work:
            row = repo.instance(work.conn, iid)
        entry = (row.meta or {}).get("service", {}).get(task_id)
        if row.status != "running" or entry is None or i in entry["done"]:
            return  # a replay of what is done, or the instance has ended
        record = self.rt.read_record(row.table_id, row.record_id)
        step_id, kind = entry["step"], "?"

        def also(work: Work, result: Any = None) -> None:
            row = repo.instance(work.conn, iid)
            if row.status != "running":
                return
            schema = work.catalog.schema(row.table_id) if row.table_id else None
            now = self.rt.record_in(work, schema, row.record_id)  # after this action
            self._go_on(work, self.rt.load(work, row, now), task_id, step_id, i, kind, result)

        try:
            with self.rt.ports.work(write=False) as work:
                L = self.rt.load(work, row, record)
                c = self.compiled(work, L, step_id)
                kind = c.specs[i].type
            self.actions.deliver(c, self._call(L, step_id, entry["seq"], i), also)
        except Exception as e:
            # A concurrent step (409) or a channel that may come back: the dispatcher tries
            # again after a back-off; the last try, or a lasting error, is an incident.
            retryable = getattr(
                e, "retryable", isinstance(e, Conflict) or not isinstance(e, CairnError)
            )
            if retryable and not last_try:
                raise
            with self.rt.ports.work() as work:
                row = repo.instance(work.conn, iid)
                if row.status != "running":
                    return
                L = self.rt.load(work, row, record)
                self.incident(work, L, task_id, step_id, i, kind, e)
                self.rt.save(work, L)

    def _go_on(
        self, work: Work, L: Loaded, task_id: str, step_id: str, i: int, kind: str, result: Any
    ) -> None:
        """An outside delivery went out: mark it done, then the rest of the task and the flow
        (one transaction)."""
        current = L.meta.get("service", {}).get(task_id)
        if current is None or i in current["done"]:
            return  # a replay
        current["done"].append(i)
        self._done(work, L, step_id, i, kind, result)
        if self.run(work, L, step_id, task_id):
            self.finish(work, L, task_id)
        self.rt.save(work, L)

    # -- an admin's retry --------------------------------------------------------------------
    def retry(self, instance_id: int, principal: Principal) -> dict[str, Any]:
        """Run a failed instance again (status ``error`` → ``running``): an engine incident's
        move, then the failed service task and any other that waits (its queued delivery is
        sent again: what went out already is not, by its key). The incident it cleared."""
        with self.rt.ports.work(write=False) as work:
            row = repo.instance(work.conn, instance_id)
        if row.status != "error":
            raise Conflict("process.not_failed", status=row.status)
        record = self.rt.read_record(row.table_id, row.record_id)
        with self.rt.ports.work(principal=principal) as work:
            row = repo.instance(work.conn, instance_id)
            if row.status != "error":
                raise Conflict("process.not_failed", status=row.status)
            L = self.rt.load(work, row, record)
            incident = L.meta.pop("incident", None) or {}
            L.status = "running"
            repo.add_event(
                work.conn,
                instance_id=row.id,
                step_id=incident.get("step"),
                actor_id=principal.user_id,
                action="retried",
                details={k: incident.get(k) for k in ("index", "type", "error")},
                at=work.now,
            )
            if incident.get("kind") != "engine" or self.rt.redo(work, L, incident):
                for task_id, step_id in L.run.waiting_services():
                    if L.status == "running" and self.run(work, L, step_id, task_id):
                        self.finish(work, L, task_id)
                if L.status == "running":
                    self.rt.sync(work, L)
            self.rt.save(work, L)
            work.audit(
                Entry(
                    "process.retry",
                    "process_instance",
                    row.id,
                    row.app_id,
                    row.table_id,
                    {"step": incident.get("step"), "error": incident.get("error")},
                )
            )
        return incident
