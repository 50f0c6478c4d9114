"""Rules: the use cases (list, get, create, update, delete, runs, dry run, forecast, scan, the
inbound webhook, app packages), each checked against the app at the edge. The engine that runs
rules is ``cairn.rules.runner.RuleEngine`` (``services.rule_engine``), over the ports in
``services.rule_ports``.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from cairn.auth import Principal, manages_app
from cairn.auth.secrets import same
from cairn.core import Conflict, Forbidden, Invalid, NotFound
from cairn.reports import parse_model
from cairn.rules import Compiled, RuleIn, RuleSpec
from cairn.rules.public import exported, iso, rule_public, run_public, spec_json
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import rules as store
from cairn.store.catalog import TableSchema

if TYPE_CHECKING:
    from cairn.services.context import Services

#: Imported from here by other services (``services.alerts``, ``services.service_tasks``).
__all__ = ["RuleService"]


class RuleService:
    def __init__(self, services: Services) -> None:
        self.s = services

    # -- checks ------------------------------------------------------------------------------
    def _require(self, uow: UnitOfWork, app_id: int) -> None:
        if not manages_app(uow.conn, uow.principal, app_id):
            raise Forbidden("auth.forbidden")

    def _schema(self, uow: UnitOfWork, app: str, table: str) -> TableSchema:
        try:
            return uow.catalog.table(app, table)
        except NotFound:
            raise Invalid.on("table", "rule.table_unknown", table=table) from None

    def compile(self, uow: UnitOfWork, row: Any, spec: RuleSpec | None = None) -> Compiled:
        """Check a rule against the catalogue (``RuleEngine.compile``)."""
        spec = spec or parse_model(RuleSpec, row["spec"])
        return self.s.rule_engine.compile(uow, row, spec)

    def _check(self, uow: UnitOfWork, app: str, data: RuleIn) -> tuple[TableSchema, RuleSpec]:
        schema = self._schema(uow, app, data.table)
        spec = parse_model(RuleSpec, data.spec_data())
        fake = {
            "id": 0,
            "key": data.key,
            "name": data.name,
            "table_id": schema.id,
            "owner_id": uow.principal.user_id,
            "secret": None,
            "spec": spec.model_dump(mode="json", by_alias=True),
        }
        self.compile(uow, fake, spec)
        return schema, spec

    # -- CRUD --------------------------------------------------------------------------------
    def list(self, principal: Principal, app: str) -> list[dict[str, Any]]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            a = uow.catalog.app(app)
            self._require(uow, a.id)
            return [self._public(uow, r) for r in store.list_for(uow.conn, a.id)]

    def _public(self, uow: UnitOfWork, row: Any) -> dict[str, Any]:
        s = uow.catalog.schemas.get(int(row["table_id"]))
        return rule_public(row, s.table.key if s else "")

    def _row(self, uow: UnitOfWork, app: str, rule_id: int) -> Any:
        a = uow.catalog.app(app)
        self._require(uow, a.id)
        row = store.get(uow.conn, a.id, rule_id)
        if row is None:
            raise NotFound("rule.not_found", id=rule_id)
        return row

    def get(self, principal: Principal, app: str, rule_id: int) -> dict[str, Any]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            return self._public(uow, self._row(uow, app, rule_id))

    def create(self, principal: Principal, app: str, data: Any) -> dict[str, Any]:
        d = parse_model(RuleIn, data)
        with unit_of_work(self.s, principal=principal) as uow:
            a = uow.catalog.app(app)
            self._require(uow, a.id)
            rule_id = self.create_in(uow, app, d)
            return self._public(uow, store.get(uow.conn, a.id, rule_id))

    def create_in(self, uow: UnitOfWork, app: str, d: RuleIn, owner_id: int | None = None) -> int:
        a = uow.catalog.app(app)
        schema, spec = self._check(uow, app, d)
        if store.key_taken(uow.conn, a.id, d.key):
            raise Invalid.on("key", "key.taken", key=d.key)
        rule_id = store.insert(
            uow.conn,
            uow.now,
            app_id=a.id,
            table_id=schema.id,
            key=d.key,
            name=d.name,
            description=d.description,
            enabled=d.enabled,
            owner_id=owner_id if owner_id is not None else uow.principal.user_id,
            spec=spec_json(spec),
            secret=secrets.token_urlsafe(24) if spec.trigger.type == "webhook" else None,
        )
        uow.schema_changed()  # every process reloads its rules with the catalogue
        return rule_id

    def update(self, principal: Principal, app: str, rule_id: int, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise Invalid.on("body", "filter.shape")
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise Invalid.on("version", "record.version_required")
        d = parse_model(RuleIn, {k: v for k, v in data.items() if k != "version"})
        with unit_of_work(self.s, principal=principal) as uow:
            row = self._row(uow, app, rule_id)
            schema, spec = self._check(uow, app, d)
            if store.key_taken(uow.conn, row["app_id"], d.key, other_than=rule_id):
                raise Invalid.on("key", "key.taken", key=d.key)
            values: dict[str, Any] = {
                "key": d.key,
                "name": d.name,
                "description": d.description,
                "table_id": schema.id,
                "enabled": d.enabled,
                "spec": spec_json(spec),
            }
            if d.enabled and not row["enabled"]:
                values.update(store.armed(uow.conn, uow.now))
            if spec.trigger.type == "webhook" and not row["secret"]:
                values["secret"] = secrets.token_urlsafe(24)
            if not store.update(uow.conn, rule_id, version, uow.now, **values):
                raise Conflict("record.stale", expected=version, actual=row["version"])
            uow.schema_changed()
            return self._public(uow, store.get(uow.conn, row["app_id"], rule_id))

    def delete(self, principal: Principal, app: str, rule_id: int) -> None:
        with unit_of_work(self.s, principal=principal) as uow:
            self._row(uow, app, rule_id)
            store.delete(uow.conn, rule_id)
            uow.schema_changed()

    def runs(
        self,
        principal: Principal,
        app: str,
        rule_id: int,
        limit: int = 50,
        before: int | None = None,
    ) -> dict[str, Any]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            self._row(uow, app, rule_id)
            rows = store.list_runs(uow.conn, rule_id, min(max(limit, 1), 500), before)
            items = [run_public(r) for r in rows]
            waits = [
                {"run_id": j["run_id"], "due_at": iso(j["due_at"])}
                for j in store.pending_jobs(uow.conn, rule_id)
            ]
        return {"items": items, "waiting": waits}

    # -- dry run and forecast ------------------------------------------------------------------
    def test(self, principal: Principal, app: str, rule_id: int, record_id: int) -> dict[str, Any]:
        """What the rule would do for ``record_id``, without doing it."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            row = self._row(uow, app, rule_id)
            c = self.compile(uow, row)
        out = self.s.rule_engine.dry_run(c, record_id)
        if out is None:
            raise NotFound("record.not_found", id=record_id)
        return out

    def forecast(self, principal: Principal, app: str, rule_id: int, days: int) -> dict[str, Any]:
        """The firings a date, schedule or inactivity rule has coming in the next ``days``."""
        if not 1 <= days <= 366:
            raise Invalid.on("days", "value.max", max=366)
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            row = self._row(uow, app, rule_id)
            c = self.compile(uow, row)
            if c.kind != "scan":
                raise Invalid.on("trigger", "rule.no_forecast")
            return self.s.rule_engine.forecast(uow, c, days)

    def scan(self) -> dict[str, int]:
        """Fire what date, schedule and inactivity rules have due, resume finished waits
        (``RuleEngine.scan``: run by one periodic job every minute)."""
        return self.s.rule_engine.scan()

    # -- inbound webhook ---------------------------------------------------------------------
    def inbound(self, rule_id: int, secret: str, body: Any) -> dict[str, Any]:
        """A JSON delivery to a webhook rule: a record created or updated (as the rule's owner)
        and the rule's actions run on it. Wrong secret or rule: not found (nothing told)."""
        with unit_of_work(self.s, write=False) as uow:
            row = store.get(uow.conn, None, rule_id)
            ok = row is not None and row["secret"] and row["enabled"]
            if not same(secret, row["secret"] if ok else "x" * 32) or not ok:
                raise NotFound("rule.not_found", id=rule_id)
            c = self.compile(uow, row)
        return self.s.rule_engine.receive(c, body)

    # -- app packages ------------------------------------------------------------------------
    def export_in(self, uow: UnitOfWork, app: str) -> list[dict[str, Any]]:
        a = uow.catalog.app(app)
        return [exported(self._public(uow, r)) for r in store.list_for(uow.conn, a.id)]

    def import_in(self, uow: UnitOfWork, app: str, items: Any) -> None:
        if not isinstance(items, list):
            raise Invalid.on("rules", "package.shape", detail="rules must be a list")
        for i, item in enumerate(items):
            try:
                self.create_in(uow, app, parse_model(RuleIn, item, f"rules.{i}"))
            except Invalid as e:
                raise Invalid(
                    "invalid.input",
                    {
                        (k if k.startswith("rules.") else f"rules.{i}.{k}"): v
                        for k, v in e.field_errors.items()
                    },
                ) from None
