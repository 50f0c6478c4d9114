"""Process definitions: deploy BPMN (checked against the table), list them, their versions,
and the processes of an app package."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import Entry, Principal
from cairn.core import FieldErrors, Forbidden, Invalid, Message, NotFound, key_problem
from cairn.process import Definition, repo, structure, views
from cairn.process.instance import iso
from cairn.process.model import parse_model
from cairn.process.validate import check_formulas, check_steps, gateway_warnings
from cairn.services import rule_actions
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import TableSchema
from cairn.store import forms as store_forms

if TYPE_CHECKING:
    from cairn.process.runtime import Runtime
    from cairn.services.context import Services


class ProcessDefinitions:
    s: Services
    runtime: Runtime

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
            return self.deploy_in(uow, app, body, principal.user_id)

    def deploy_in(
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
        start = "create" if auto_start else ("manual" if model.start == "create" else model.start)
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
            options={"auto_start": auto_start, "start": start},
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
                self.deploy_in(uow, app, item, uow.principal.user_id)
            except Invalid as e:
                raise e.under(f"processes.{i}") from None

    def _validate(self, uow: UnitOfWork, d: Definition, schema: TableSchema | None) -> None:
        """Every formula type-checks against the table; form and field rules name real fields;
        every user task has somebody to do it; service tasks name actions a rule could run.
        ``Invalid`` with every problem found, each at ``bpmn.<element id>``."""
        errors = self._problems(uow, d, schema)
        errors.raise_if_any()

    def _problems(self, uow: UnitOfWork, d: Definition, schema: TableSchema | None) -> FieldErrors:
        errors = FieldErrors()
        engine, data = check_formulas(d, self.runtime.script_context(uow, schema, {}), errors)
        for sid, svc in d.model.services.items():
            try:
                self._validate_service(uow, sid, svc.actions, schema)
            except Invalid as e:
                errors.merge("", e)
        check_steps(d.model, engine, data, schema, errors)
        for step in d.model.steps.values():
            key = step.form_variant
            if key and (schema is None or store_forms.get(uow.conn, schema.id, key) is None):
                table = schema.table.key if schema is not None else ""
                msg = Message("form.variant_unknown", {"key": key, "table": table})
                errors.add(f"bpmn.{step.id}", msg)
        return errors

    def _validate_service(
        self, uow: UnitOfWork, sid: str, actions: Any, schema: TableSchema | None
    ) -> None:
        """A service task names actions a rule could run on the process's table."""
        loc = f"bpmn.{sid}.actions"
        if not actions:
            raise Invalid.on(f"bpmn.{sid}", "process.service_no_action")
        specs = rule_actions.parse_actions(actions, loc)
        if schema is None:
            raise Invalid.on(f"bpmn.{sid}", "task.no_record")
        rule_actions.check_actions(self.s, uow, schema, specs, loc)

    def validate(
        self, app: str, body: dict[str, Any], principal: Principal
    ) -> list[tuple[str, Message, str]]:
        """Every problem of a BPMN file, not only the first: (location, message, severity
        ``error`` or ``warning``). Reading the XML, the flow's shape, the step settings, the
        formulas against the table, service actions; gateways without a default flow are
        warnings (they deploy)."""
        self._require_manager(principal, app)
        xml = body.get("bpmn")
        if not isinstance(xml, str) or not xml.strip():
            return [("bpmn", Message("process.xml", {"detail": "empty"}), "error")]
        table = body.get("table")
        out: list[tuple[str, Message, str]] = []

        def add(errors: FieldErrors, severity: str) -> None:
            for loc, messages in errors.errors.items():
                out.extend((loc, m, severity) for m in messages)

        def caught(e: Invalid) -> None:
            errors = FieldErrors()
            errors.merge("", e)
            add(errors, "error")

        try:
            model = parse_model(xml)
        except Invalid as e:
            caught(e)
            return out
        shape = FieldErrors()
        try:
            structure.check(model.spiff_xml, model.process_id)
        except Invalid as e:
            shape.merge("", e)
        add(shape, "error")
        # A gateway whose flows the structure check already named needs no second warning.
        for loc, messages in gateway_warnings(xml, model.process_id).errors.items():
            if loc not in shape.errors:
                out.extend((loc, m, "warning") for m in messages)
        try:
            d = Definition(xml)
        except Invalid as e:
            # Spiff's own parse error (in English) is the only clue when Cairn's structure
            # checks found nothing; otherwise it repeats one of their problems.
            if not shape.errors:
                caught(e)
            return out
        with unit_of_work(self.s, write=False) as uow:
            table_key = table if isinstance(table, str) and table else model.table
            try:
                schema = uow.catalog.table(app, table_key) if table_key else None
            except NotFound:
                out.append(("table", Message("table.not_found", {"table": table_key}), "error"))
                return out
            add(self._problems(uow, d, schema), "error")
        return out

    def _definition_json(self, uow: UnitOfWork, row: Any, with_xml: bool) -> dict[str, Any]:
        table = uow.catalog.schema(row.table_id).table.key if row.table_id else None
        return views.definition_json(row, self.runtime.definition(row), table, with_xml)

    def list_definitions(self, app: str) -> dict[str, Any]:
        with unit_of_work(self.s, write=False) as uow:
            a = uow.catalog.app(app)
            rows = repo.definitions(uow.conn, a.id)
            counts = repo.instance_counts(uow.conn, [r.id for r in rows])
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
                        **dict.fromkeys(counts[r.id], 0),
                    }
                out[r.key]["versions"] += 1
                for bucket, n in counts[r.id].items():
                    out[r.key][bucket] += n
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
            counts = repo.instance_counts(uow.conn, [r.id for r in rows])
            return {
                "items": [
                    {
                        "id": r.id,
                        "version": r.version,
                        "name": r.name,
                        "created_at": iso(r.created_at),
                        "created_by": r.created_by,
                        **counts[r.id],
                    }
                    for r in rows
                ]
            }
