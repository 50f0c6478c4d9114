"""Rules: the use cases (list, get, create, update, delete, runs, dry run, forecast, scan, the
inbound webhook, app packages), each checked against the app at the edge. The engine that runs
rules is ``cairn.rules.runner.RuleEngine`` (``services.rule_engine``), over the ports in
``services.rule_ports``.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from cairn.auth import Entry, Principal, manages_app
from cairn.auth.audit import naive_utc
from cairn.auth.secrets import same
from cairn.core import Conflict, FieldErrors, Forbidden, Invalid, Message, NotFound
from cairn.reports import parse_model
from cairn.rules import Compiled, RuleIn, RuleSpec, last_run_public
from cairn.rules.draft import parse_draft
from cairn.rules.public import exported, hook_path, iso, rule_public, run_public, spec_json
from cairn.services.rule_ports import SavingChecks
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import rules as store
from cairn.store.catalog import TableSchema

if TYPE_CHECKING:
    from cairn.services.context import Services

#: Imported from here by other services (``services.alerts``, ``services.service_tasks``).
__all__ = ["RuleService"]


#: A rule's own fields, besides its spec; what a draft may leave out is filled with these.
HEAD = ("key", "name", "description", "table", "enabled")
DRAFT_HEAD = {"key": "draft", "name": "draft", "table": "draft", "trigger": {}, "actions": []}


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
        """A rule about to be saved, checked part by part: every error at once (``Invalid``
        with a dotted location each), with what only a save checks (the schedule fires from
        now on, the users and roles recipients name exist)."""
        schema = self._schema(uow, app, data.table)
        draft = parse_draft(data.spec_data())
        self.s.rule_engine.check(uow, schema, draft, SavingChecks(uow)).errors.raise_if_any()
        return schema, draft.spec()

    def _draft_row(self, uow: UnitOfWork, schema: TableSchema, d: RuleIn, spec: RuleSpec) -> Any:
        """A draft as a rule row (for a dry run or a forecast before it is saved): as if
        enabled now, by the caller."""
        return {
            "id": 0,
            "app_id": schema.app.id,
            "key": d.key,
            "name": d.name,
            "table_id": schema.id,
            "owner_id": uow.principal.user_id,
            "secret": None,
            "enabled": True,
            "armed_at": uow.now,
            "armed_event_id": 0,
            "spec": spec_json(spec),
        }

    # -- CRUD --------------------------------------------------------------------------------
    def list(self, principal: Principal, app: str) -> list[dict[str, Any]]:
        """The app's rules, each with its latest run (``last_run``, None when never run; one
        query for them all)."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            a = uow.catalog.app(app)
            self._require(uow, a.id)
            rows = store.list_for(uow.conn, a.id)
            last = store.last_runs(uow.conn, [r["id"] for r in rows])
            return [
                self._public(uow, r) | {"last_run": last_run_public(last.get(r["id"]))}
                for r in rows
            ]

    def _public(self, uow: UnitOfWork, row: Any, reveal: bool = False) -> dict[str, Any]:
        s = uow.catalog.schemas.get(int(row["table_id"]))
        return rule_public(row, s.table.key if s else "", reveal)

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
            return self._public(uow, store.get(uow.conn, a.id, rule_id), reveal=True)

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
            saved = store.get(uow.conn, row["app_id"], rule_id)
            return self._public(uow, saved, reveal="secret" in values)  # a new secret: once

    def rotate_secret(self, principal: Principal, app: str, rule_id: int) -> dict[str, Any]:
        """A new secret for an inbound-webhook rule (the old address stops working), shown
        this once; audit-logged."""
        with unit_of_work(self.s, principal=principal) as uow:
            row = self._row(uow, app, rule_id)
            if parse_model(RuleSpec, row["spec"]).trigger.type != "webhook":
                raise Invalid.on("trigger", "rule.not_webhook")
            secret = secrets.token_urlsafe(24)
            store.set_secret(uow.conn, rule_id, secret, uow.now)
            uow.audit(
                Entry(
                    "rule.webhook_secret",
                    "rule",
                    rule_id,
                    app_id=row["app_id"],
                    table_id=row["table_id"],
                )
            )
            uow.schema_changed()
        return {"path": hook_path(rule_id, secret), "secret": secret}

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
        **filters: Any,
    ) -> dict[str, Any]:
        """The run log, newest first, filtered (``status``, ``record_id``, ``trigger``,
        ``since``, ``until``): each run with its record (id, title as the caller may read it,
        table) for the link; ``total`` runs match the filters; the waits pending."""
        since, until = (naive_utc(filters.get(k)) for k in ("since", "until"))
        filters = filters | {"since": since, "until": until}
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            row = self._row(uow, app, rule_id)
            rows = store.list_runs(uow.conn, rule_id, min(max(limit, 1), 500), before, **filters)
            items = [run_public(r) for r in rows]
            total = store.count_runs(uow.conn, rule_id, **filters)
            schema = uow.catalog.schemas.get(int(row["table_id"]))
            ids = {r["record_id"] for r in rows if r["record_id"]}
            titles = self.s.records.titles(uow, schema, ids) if schema and ids else {}
            for item in items:
                rid = item["record_id"]
                item["record"] = (
                    None
                    if not rid or schema is None
                    else {
                        "id": rid,
                        "title": titles.get(rid) or f"#{rid}",
                        "table": schema.table.key,
                    }
                )
            waits = [
                {"run_id": j["run_id"], "due_at": iso(j["due_at"])}
                for j in store.pending_jobs(uow.conn, rule_id)
            ]
        return {"items": items, "total": total, "waiting": waits}

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

    # -- drafts (the editor, before saving) -----------------------------------------------------
    def validate(self, principal: Principal, app: str, data: Any) -> dict[str, Any]:
        """A draft checked as a save would check it, every error with its dotted location
        (messages, not raised); the condition's type as written and, for a schedule, its next
        occurrences. ``key`` and ``name`` may be empty; ``id`` names the rule being edited
        (its key may stay its own)."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            a = uow.catalog.app(app)
            self._require(uow, a.id)
            return self._validate(uow, app, a.id, data)

    def _validate(self, uow: UnitOfWork, app: str, app_id: int, data: Any) -> dict[str, Any]:
        errors = FieldErrors()
        out: dict[str, Any] = {"condition_type": None, "schedule_next": [], "describe": None}
        if not isinstance(data, dict):
            errors.add("body", Message("invalid.object"))
            return out | {"ok": False, "errors": errors.errors}
        rule_id = data.get("id")
        head = {k: data[k] for k in HEAD if data.get(k) not in (None, "")}
        try:  # the rule's own fields (the spec's parts are checked below, part by part)
            parse_model(RuleIn, DRAFT_HEAD | head)
        except Invalid as e:
            errors.merge("", e)
        if "table" not in head:
            errors.add("table", Message("field.required"))
        if isinstance(head.get("key"), str) and store.key_taken(
            uow.conn, app_id, head["key"], other_than=rule_id if isinstance(rule_id, int) else None
        ):
            errors.add("key", Message("key.taken", {"key": head["key"]}))
        draft = parse_draft(data)
        schema = None
        if isinstance(head.get("table"), str):
            try:
                schema = self._schema(uow, app, head["table"])
            except Invalid as e:
                errors.merge("", e)
        if schema is not None:
            checked = self.s.rule_engine.check(uow, schema, draft, SavingChecks(uow))
            out["condition_type"] = checked.condition_type
            if (
                draft.trigger is not None
                and draft.trigger.type == "schedule"
                and not any(k.startswith("trigger") for k in checked.errors.errors)
            ):
                times = self.s.rule_engine.triggers.get("schedule").next_times(  # type: ignore[attr-defined]
                    draft.trigger, uow.catalog.ctx.timezone, uow.now, 5
                )
                out["schedule_next"] = [iso(t) for t in times]
        for loc, ms in draft.errors.errors.items():  # the parts' (and their checks') errors
            for m in ms:
                errors.add(loc, m)
        return out | {"ok": not errors, "errors": errors.errors}

    def _draft(self, uow: UnitOfWork, app: str, data: Any) -> Compiled:
        """A draft ready to run (a dry run, a forecast): ``Invalid`` with every error when it
        would not save."""
        if not isinstance(data, dict):
            raise Invalid.on("rule", "invalid.object")
        body = {k: v for k, v in data.items() if k not in ("id", "version")}
        body["key"] = body.get("key") or "draft"
        body["name"] = body.get("name") or "draft"
        try:
            d = parse_model(RuleIn, body)
            schema, spec = self._check(uow, app, d)
        except Invalid as e:
            raise e.under("rule") from None
        row = self._draft_row(uow, schema, d, spec)
        rule_id = data.get("id")
        if isinstance(rule_id, int) and not isinstance(rule_id, bool):
            saved = store.get(uow.conn, schema.app.id, rule_id)
            if saved is not None:  # the rule being edited: its firings and enable point
                row |= {"id": rule_id, "owner_id": saved["owner_id"]}
                if saved["enabled"]:
                    row["armed_at"] = saved["armed_at"]
        return self.s.rule_engine.compile(uow, row, spec)

    def dry_run_draft(
        self, principal: Principal, app: str, rule: Any, record_id: int
    ) -> dict[str, Any]:
        """What a draft would do for ``record_id`` (``test`` before saving)."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            self._require(uow, uow.catalog.app(app).id)
            c = self._draft(uow, app, rule)
        out = self.s.rule_engine.dry_run(c, record_id)
        if out is None:
            raise NotFound("record.not_found", id=record_id)
        return out

    def forecast_draft(
        self, principal: Principal, app: str, rule: Any, days: int
    ) -> dict[str, Any]:
        """A draft's firings in the next ``days``, as if it were saved and enabled now (a rule
        being edited keeps its enable point and what it already fired)."""
        if not 1 <= days <= 366:
            raise Invalid.on("days", "value.max", max=366)
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            self._require(uow, uow.catalog.app(app).id)
            c = self._draft(uow, app, rule)
            if c.kind != "scan":
                raise Invalid.on("rule.trigger", "rule.no_forecast")
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
