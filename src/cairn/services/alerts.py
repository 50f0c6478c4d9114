"""Alerts (报表预警): the use cases — list, read, create, change and delete an app's alerts,
read their check log, check one now, carry them in app packages — and the worker's scan.

The checker itself is the report engine's (``reports/alert_checker.py``: measuring as the
owner, crossings and recoveries, the check log; ``reports/alert_actions.py``: a crossing's
rule-engine actions, once each), wired here to the services through ``services/alert_ports.py``
and ``services/report_ports.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import Entry, Principal, manages_app
from cairn.core import Conflict, Forbidden, Invalid, NotFound
from cairn.reports import AlertIn, parse_model
from cairn.reports.alert_actions import AlertActionRunner
from cairn.reports.alert_checker import AlertChecker
from cairn.reports.alert_measure import AlertMeasure
from cairn.reports.alert_validation import AlertValidator
from cairn.reports.alerts import SPEC_KEYS, AlertSpec, alert_public, check_public
from cairn.services.alert_ports import RuleActions, UnitsOfWork
from cairn.services.report_ports import ReportDatasets
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import alerts as store

if TYPE_CHECKING:
    from cairn.services.context import Services


class AlertService:
    def __init__(self, services: Services) -> None:
        self.s = services
        tx = UnitsOfWork(services)
        actions = RuleActions(services)
        measure = AlertMeasure(ReportDatasets(services), services.kpis, services.clock)
        self.validator = AlertValidator(measure, actions, tx)
        self.checker = AlertChecker(measure, AlertActionRunner(actions, tx), tx)

    def _require(self, uow: UnitOfWork, app_id: int) -> None:
        if not manages_app(uow.conn, uow.principal, app_id):
            raise Forbidden("auth.forbidden")

    def _row(self, uow: UnitOfWork, app: str, alert_id: int) -> Any:
        a = uow.catalog.app(app)
        self._require(uow, a.id)
        row = store.get(uow.conn, a.id, alert_id)
        if row is None:
            raise NotFound("alert.not_found", id=alert_id)
        return row

    @staticmethod
    def _spec_json(spec: AlertSpec) -> dict[str, Any]:
        return spec.model_dump(mode="json", exclude_none=True)

    # -- CRUD ------------------------------------------------------------------------------------
    def list(self, principal: Principal, app: str) -> list[dict[str, Any]]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            a = uow.catalog.app(app)
            self._require(uow, a.id)
            return [alert_public(r) for r in store.list_for(uow.conn, a.id)]

    def get(self, principal: Principal, app: str, alert_id: int) -> dict[str, Any]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            return alert_public(self._row(uow, app, alert_id))

    def create(self, principal: Principal, app: str, data: Any) -> dict[str, Any]:
        d = parse_model(AlertIn, data)
        with unit_of_work(self.s, principal=principal) as uow:
            a = uow.catalog.app(app)
            self._require(uow, a.id)
            alert_id = self.create_in(uow, app, d)
            return alert_public(store.get(uow.conn, a.id, alert_id))

    def create_in(self, uow: UnitOfWork, app: str, d: AlertIn) -> int:
        a = uow.catalog.app(app)
        owner_id = d.owner_id if d.owner_id is not None else uow.principal.user_id
        spec, actions = self.validator.validate(uow, app, d, owner_id)
        if store.key_taken(uow.conn, a.id, d.key):
            raise Invalid.on("key", "key.taken", key=d.key)
        alert_id = store.insert(
            uow.conn,
            uow.now,
            app_id=a.id,
            key=d.key,
            name=d.name,
            description=d.description,
            enabled=d.enabled,
            owner_id=owner_id,
            spec=self._spec_json(spec),
            schedule=d.schedule.model_dump(mode="json", exclude_none=True),
            actions=actions,
            next_check_at=self.checker.next_at(uow, d.schedule) if d.enabled else None,
        )
        uow.audit(Entry("alert.create", "alert", alert_id, a.id, None, {"key": d.key}))
        return alert_id

    def update(self, principal: Principal, app: str, alert_id: int, data: Any) -> dict[str, Any]:
        """Replace the alert; ``version`` must be the one the change was based on. Its state
        (firing or not) stays: the next check compares the value with the new threshold."""
        if not isinstance(data, dict):
            raise Invalid.on("body", "filter.shape")
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise Invalid.on("version", "record.version_required")
        d = parse_model(AlertIn, {k: v for k, v in data.items() if k != "version"})
        with unit_of_work(self.s, principal=principal) as uow:
            row = self._row(uow, app, alert_id)
            owner_id = d.owner_id if d.owner_id is not None else row["owner_id"]
            spec, actions = self.validator.validate(uow, app, d, owner_id)
            if store.key_taken(uow.conn, row["app_id"], d.key, other_than=alert_id):
                raise Invalid.on("key", "key.taken", key=d.key)
            schedule = d.schedule.model_dump(mode="json", exclude_none=True)
            values: dict[str, Any] = {
                "key": d.key,
                "name": d.name,
                "description": d.description,
                "enabled": d.enabled,
                "owner_id": owner_id,
                "spec": self._spec_json(spec),
                "schedule": schedule,
                "actions": actions,
            }
            if not d.enabled:
                values["next_check_at"] = None
            elif not row["enabled"] or schedule != row["schedule"]:
                values["next_check_at"] = self.checker.next_at(uow, d.schedule)
            if not store.update(uow.conn, alert_id, version, uow.now, **values):
                raise Conflict("record.stale", expected=version, actual=row["version"])
            changed = sorted(
                k
                for k, v in values.items()
                if k != "next_check_at" and (row["spec"] if k == "spec" else row[k]) != v
            )
            uow.audit(
                Entry(
                    "alert.update",
                    "alert",
                    alert_id,
                    row["app_id"],
                    None,
                    {"key": d.key, "changed": changed},
                )
            )
            return alert_public(store.get(uow.conn, row["app_id"], alert_id))

    def delete(self, principal: Principal, app: str, alert_id: int) -> None:
        with unit_of_work(self.s, principal=principal) as uow:
            row = self._row(uow, app, alert_id)
            store.delete(uow.conn, alert_id)
            uow.audit(
                Entry("alert.delete", "alert", alert_id, row["app_id"], None, {"key": row["key"]})
            )

    def checks(
        self,
        principal: Principal,
        app: str,
        alert_id: int,
        limit: int = 50,
        before: int | None = None,
    ) -> dict[str, Any]:
        """The check log, newest first."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            self._row(uow, app, alert_id)
            rows = store.list_checks(uow.conn, alert_id, min(max(limit, 1), 500), before)
            return {"items": [check_public(r) for r in rows]}

    # -- checking --------------------------------------------------------------------------------
    def check_now(
        self, principal: Principal, app: str, alert_id: int, dry_run: bool = False
    ) -> dict[str, Any]:
        """Check now (the schedule stays): the check as logged, with its actions. A dry run
        logs nothing and says what a crossing now would do."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            self._row(uow, app, alert_id)
        if dry_run:
            return self.checker.dry_run(alert_id)
        return self.checker.check(alert_id, "manual")

    # -- the worker ------------------------------------------------------------------------------
    def scan(self) -> dict[str, int]:
        """Check every alert that is due, then resume unfinished crossings (``AlertChecker``)."""
        return self.checker.scan()

    def purge(self, days: int = 90) -> int:
        """Forget quiet checks (no change, no error) older than ``days``; how many."""
        return self.checker.purge(days)

    # -- app packages ------------------------------------------------------------------------------
    def export_in(self, uow: UnitOfWork, app: str) -> list[dict[str, Any]]:
        """The app's alerts as they travel (no ids, owners or state)."""
        a = uow.catalog.app(app)
        out = []
        for r in store.list_for(uow.conn, a.id):
            pub = alert_public(r)
            item = {k: pub[k] for k in ("key", "name", "description", "enabled")}
            item.update({k: pub[k] for k in SPEC_KEYS if k in pub})
            item["schedule"] = pub["schedule"]
            item["actions"] = pub["actions"]
            out.append(item)
        return out

    def import_in(self, uow: UnitOfWork, app: str, items: Any) -> None:
        if not isinstance(items, list):
            raise Invalid.on("alerts", "package.shape", detail="alerts must be a list")
        for i, item in enumerate(items):
            try:
                d = parse_model(AlertIn, item)
                self.create_in(uow, app, d)
            except Invalid as e:
                raise e.under(f"alerts.{i}") from None
