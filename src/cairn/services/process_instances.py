"""Process instances as use cases: start one (by a user or a rule), withdraw or cancel it, an
admin's retry of a failed one, and the reads: an instance's timeline, a record's processes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Entry, Principal, managed_apps
from cairn.core import Conflict, Forbidden, Invalid, NotFound
from cairn.process import assignees as people
from cairn.process import listings, repo, views
from cairn.process.inbox import table_keys
from cairn.process.instance import iso
from cairn.process.visibility import may_see
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import users as store_users

if TYPE_CHECKING:
    from cairn.process.runtime import Runtime
    from cairn.services.context import Services


class ProcessInstances:
    s: Services
    runtime: Runtime

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
            self._check_starter(uow, drow, principal)
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
        iid = self.runtime.start(drow, record_id, record, principal, principal.user_id, variables)
        return self.instance(iid, SYSTEM)

    def _check_starter(self, uow: UnitOfWork, drow: Any, principal: Principal) -> None:
        """403 unless the user may start this process by hand (administrators always may)."""
        if principal.user_id is None:
            raise Forbidden("auth.forbidden")
        if principal.read_only:
            raise Forbidden("auth.read_only_token")
        if principal.is_admin:
            return
        d = self.runtime.definition(drow)
        if views.start_mode(drow, d) == "rule":
            raise Forbidden("process.rule_only")
        if not people.may_start(uow.conn, d.model.starters, principal.user_id, principal.username):
            raise Forbidden("process.not_starter")

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
        record = self.runtime.read_record(drow.table_id, record_id)
        if drow.table_id is not None and not record:
            raise NotFound("record.not_found", id=record_id)
        iid = self.runtime.start(
            drow, record_id, record, SYSTEM, initiator_id, {}, before_commit, event_meta
        )
        return self.instance(iid, SYSTEM)

    # -- withdraw, cancel, retry -----------------------------------------------------------
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
        record = self.runtime.read_record(row.table_id, row.record_id)
        with unit_of_work(self.s, principal=principal) as uow:
            row = repo.instance(uow.conn, instance_id)
            if row.status not in ("running", "error"):
                raise Conflict("process.not_running", status=row.status)
            L = self.runtime.load(uow, row, record)
            self.runtime.end(uow, L, status, principal.user_id, reason)
            self.runtime.save(uow, L)
            repo.set_reason(uow.conn, instance_id, reason)
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

    def retry(self, instance_id: int, principal: Principal) -> dict[str, Any]:
        """An admin runs a failed instance again (status ``error`` → ``running``)."""
        if not principal.is_admin or principal.read_only:
            raise Forbidden("auth.admin_only")
        self.runtime.service_tasks.retry(instance_id, principal)
        return self.instance(instance_id, SYSTEM)

    # -- reads -----------------------------------------------------------------------------
    def instance(self, instance_id: int, principal: Principal) -> dict[str, Any]:
        """The instance with its timeline: steps (assignee, start, end, duration, action,
        comment), every event, and where it stands now."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            row = repo.instance(uow.conn, instance_id)
            may_see(uow, row, principal)
            drow = self.runtime.definition_row(uow, row.definition_id)
            items = repo.instance_tasks(uow.conn, instance_id)
            evs = repo.events(uow.conn, instance_id)
            names = store_users.display_names(
                uow.conn,
                {t.assignee_id for t in items}
                | {t.completed_by for t in items}
                | {e.actor_id for e in evs}
                | {row.initiator_id},
            )
            keys = table_keys(uow, {row.table_id})
            app = keys["apps"].get(row.app_id, "")
            table = keys["tables"].get(row.table_id)
            return views.instance_json(row, drow, app, table, items, evs, names, uow.now)

    def diagram(self, instance_id: int, principal: Principal) -> dict[str, Any]:
        """The BPMN XML of the instance's version with the elements done and those where it
        stands now (open tasks, waiting timers, a failed service task)."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            row = repo.instance(uow.conn, instance_id)
            may_see(uow, row, principal)
        record = self.runtime.read_record(row.table_id, row.record_id)
        with unit_of_work(self.s, write=False) as uow:
            drow = self.runtime.definition_row(uow, row.definition_id)
            L = self.runtime.load(uow, row, record)
            open_steps = [t.step_id for t in repo.instance_tasks(uow.conn, row.id, ["open"])]
            current = list(dict.fromkeys([*open_steps, *L.run.active()]))
            if row.status != "running" and row.status != "error":
                current = []
            done = [e for e in L.run.visited() if e not in current]
            return views.diagram_json(row, drow, done, current)

    def list_instances(
        self, principal: Principal, filters: dict[str, Any], limit: int, offset: int
    ) -> dict[str, Any]:
        """The administrators' list: instances of every app (administrators) or of the apps
        the caller manages, newest first, with where each stands and its incident."""
        if principal.user_id is None and not principal.is_admin:
            raise Forbidden("auth.forbidden")
        f = {k: v for k, v in filters.items() if v not in (None, "", False)}
        status = f.get("status")
        if status == "done":
            f["status"] = "completed"
        elif status is not None and status not in listings.STATUSES:
            raise Invalid.on("status", "process.status_unknown", status=status)
        if isinstance(f.get("q"), str):
            f["q"] = f["q"].strip()[:100]
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            app_ids = managed_apps(uow.conn, principal)
            if app_ids is not None and not app_ids:
                raise Forbidden("auth.forbidden")
            app = f.pop("app", None)
            if app:
                f["app_id"] = uow.catalog.app(app).id
                if app_ids is not None and f["app_id"] not in app_ids:
                    raise Forbidden("auth.forbidden")
            rows = listings.instance_page(uow.conn, app_ids, uow.now, f, limit, offset)
            if len(rows) < limit and (rows or offset == 0):
                total = offset + len(rows)  # the last page: no count needed
            else:
                total = listings.instance_total(uow.conn, app_ids, uow.now, f)
            open_tasks = repo.open_tasks_of(uow.conn, [r.id for r in rows])
            by_instance: dict[int, list[Any]] = {}
            for t in open_tasks:
                by_instance.setdefault(t.instance_id, []).append(t)
            names = store_users.display_names(
                uow.conn, {t.assignee_id for t in open_tasks} | {r.initiator_id for r in rows}
            )
            keys = table_keys(uow, {r.table_id for r in rows})
            items = [
                views.list_item(r, by_instance.get(r.id, []), uow.now, keys, names) for r in rows
            ]
            return {"items": items, "total": total, "limit": limit, "offset": offset}

    def of_record(
        self, app: str, table: str, record_id: int, principal: Principal
    ) -> dict[str, Any]:
        """The processes of a record (what the record page shows), if the caller may read it."""
        self.s.records.get(app, table, record_id, principal=principal)
        with unit_of_work(self.s, write=False) as uow:
            s = uow.catalog.table(app, table)
            startable = []
            for drow in repo.latest_of_table(uow.conn, s.id):
                try:
                    self._check_starter(uow, drow, principal)
                except Forbidden:
                    continue
                if views.start_mode(drow, self.runtime.definition(drow)) == "rule":
                    continue
                startable.append({"key": drow.key, "name": drow.name, "version": drow.version})
            rows = repo.instances_of_record(uow.conn, s.id, record_id)
            out = []
            for r in rows:
                current = [
                    {
                        "task_id": t.id,
                        "step": t.step_id,
                        "name": t.step_name,
                        "assignee_id": t.assignee_id,
                        "due_at": iso(t.due_at),
                        "overdue": bool(t.due_at and t.due_at < uow.now),
                    }
                    for t in repo.instance_tasks(uow.conn, r.id, ["open"])
                ]
                out.append(
                    {
                        "id": r.id,
                        "process": {"key": r.key, "name": r.name, "version": r.version},
                        "status": r.status,
                        "started_at": iso(r.started_at),
                        "ended_at": iso(r.ended_at),
                        "current": current,
                    }
                )
            return {"items": out, "startable": startable}
