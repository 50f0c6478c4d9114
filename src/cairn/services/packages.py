"""App packages: an app's whole definition as YAML (``meta/packages.py`` says the format),
exported and imported exactly."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Principal
from cairn.core import Conflict, FieldErrors, Invalid, NotFound
from cairn.meta.checks import check_key, check_name
from cairn.meta.packages import (
    FORMAT,
    MAX_PACKAGE_BYTES,
    check_shape,
    field_spec,
    in_cascade_order,
    phase,
)
from cairn.query.definitions import app_public, table_package, table_public
from cairn.services.alerts import AlertService
from cairn.services.customer_view import CustomerViewService
from cairn.services.dashboards import DashboardService
from cairn.services.form_publications import PublicationService
from cairn.services.forms import FormService
from cairn.services.identity_rules import IdentityRuleService
from cairn.services.kpi_mappings import KpiMappingService
from cairn.services.process import ProcessService
from cairn.services.rules import RuleService
from cairn.services.schema import SchemaService
from cairn.services.uow import unit_of_work
from cairn.store import scores as score_rows
from cairn.store import segments as segment_rows
from cairn.store import system

if TYPE_CHECKING:
    from cairn.services.context import Services


class PackageService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def export(self, app_key: str) -> dict[str, Any]:
        with unit_of_work(self.s, write=False) as uow:
            cat = uow.catalog
            app = cat.app(app_key)
            forms = FormService(self.s)
            publications = PublicationService(self.s)
            identity_rules = IdentityRuleService(self.s)
            tables = []
            for s in cat.tables_of(app.id):
                item = table_package(cat, s)
                variants = forms.export_in(uow, s)
                if variants:
                    item["forms"] = variants
                published = publications.export_in(uow, s)
                if published:
                    item["publications"] = published
                matching = identity_rules.export_in(uow, s)
                if matching:
                    item["identity_rules"] = matching
                tables.append(item)
            out = {
                "format": FORMAT,
                "app": {"key": app.key, "name": app.name, "description": app.description},
                "tables": tables,
                "kpi_mappings": KpiMappingService(self.s).export_in(uow, app_key),
                "dashboards": DashboardService(self.s).export_in(uow, app_key),
                "processes": ProcessService(self.s).export_in(uow, app_key),
                "rules": _insight_refs_out(
                    uow,
                    app_key,
                    self.s.tags.rules_out(
                        uow, app_key, RuleService(self.s).export_in(uow, app_key)
                    ),
                ),
                "alerts": AlertService(self.s).export_in(uow, app_key),
            }
            view = CustomerViewService(self.s).export_in(uow, app_key)
            if view is not None:
                out["customer_view"] = view
            vocabulary = self.s.tags.export_in(uow, app_key)
            if vocabulary is not None:
                out["tags"] = vocabulary
            segments = self.s.segments.export_in(uow, app_key)
            if segments is not None:
                out["segments"] = segments
            models = self.s.scores.export_in(uow, app_key)
            if models is not None:
                out["score_models"] = models
            return out

    def export_yaml(self, app_key: str) -> str:
        # deferred: PyYAML costs ~10 ms of every start-up and only app packages use it
        import yaml

        return yaml.safe_dump(self.export(app_key), allow_unicode=True, sort_keys=False)

    def import_yaml(
        self, text: str | bytes, *, key: str | None = None, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        if len(text) > MAX_PACKAGE_BYTES:
            raise Invalid.on("package", "package.shape", detail="larger than 5 MB")
        # deferred: PyYAML costs ~10 ms of every start-up and only app packages use it
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise Invalid.on("package", "package.yaml", detail=str(e).splitlines()[0]) from None
        return self.import_package(data, key=key, principal=principal)

    def import_package(
        self, data: Any, *, key: str | None = None, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        """Install an app package as ``principal``: its rules and alerts are theirs (they run
        with the importer's permissions); from the command line, the system's."""
        pkg = check_shape(data)
        app_data = dict(pkg["app"])
        if key:
            app_data["key"] = key
        schema = SchemaService(self.s)
        with unit_of_work(self.s, principal=principal) as uow:
            akey = check_key(app_data.get("key"), "app.key")
            if any(a.key == akey for a in uow.catalog.live_apps()):
                raise Conflict("package.exists", key=akey)
            uow.insert_definition(
                system.apps,
                key=akey,
                name=check_name(app_data.get("name", akey), "app.name"),
                description=str(app_data.get("description") or ""),
                position=len(uow.catalog.live_apps()),
                created_at=uow.now,
                updated_at=uow.now,
            )
            tables = pkg["tables"]
            for ti, t in enumerate(tables):
                if t.get("parent") is not None:  # made with its sub-form field
                    continue
                _wrap(
                    f"tables.{ti}.",
                    lambda t=t: schema.create_table_in(
                        uow, akey, {k: t.get(k) for k in ("key", "name", "description") if k in t}
                    ),
                )
            # Plain fields first, then relations (both sides at once), then lookups and rollups.
            by_key = {t["key"]: t for t in tables}
            for step in ("subform", "plain", "relation", "derived"):
                for ti, t in enumerate(tables):
                    for fi, f in in_cascade_order(t.get("fields") or []):
                        kind = phase(f)
                        if kind != step or (
                            kind == "relation" and not f.get("options", {}).get("owner", True)
                        ):
                            continue
                        spec = field_spec(f, t["key"], by_key)
                        _wrap(
                            f"tables.{ti}.fields.{fi}.",
                            lambda spec=spec, t=t: schema.create_field_in(
                                uow, akey, t["key"], spec
                            ),
                        )
                if step == "subform":
                    _rows_tables(uow, akey, tables)
            # Formulas last, each once the fields it uses (maybe other formulas) exist.
            pending = [
                (ti, fi, t, f)
                for ti, t in enumerate(tables)
                for fi, f in enumerate(t.get("fields") or [])
                if phase(f) == "formula"
            ]
            while pending:
                failed: list[tuple[int, int, Any, Any]] = []
                first_error: Invalid | None = None
                for ti, fi, t, f in pending:
                    spec = field_spec(f, t["key"], by_key)
                    try:
                        _wrap(
                            f"tables.{ti}.fields.{fi}.",
                            lambda spec=spec, t=t: schema.create_field_in(
                                uow, akey, t["key"], spec
                            ),
                        )
                    except Invalid as e:
                        failed.append((ti, fi, t, f))
                        first_error = first_error or e
                if len(failed) == len(pending) and first_error is not None:
                    raise first_error
                pending = failed
            # Positions, display fields, and what the reverse sides carry of their own.
            for ti, t in enumerate(tables):
                s = uow.catalog.table(akey, t["key"])
                for pos, f in enumerate(t.get("fields") or []):
                    live = s.by_key.get(f.get("key"))
                    if live is None:
                        raise Invalid.on(
                            f"tables.{ti}.fields.{pos}.key",
                            "package.shape",
                            detail="a reverse relation field has no owning field",
                        )
                    uow.update_definitions(
                        system.fields,
                        live.id,
                        position=pos,
                        help_text=str(f.get("help_text") or ""),
                    )
                    totals = (f.get("options") or {}).get("totals")
                    if live.is_subform and totals is not None:
                        _wrap(
                            f"tables.{ti}.fields.{pos}.",
                            lambda s=s, live=live, totals=totals: schema.set_totals_in(
                                uow, s, live, totals
                            ),
                        )
                    if live.is_relation and live.options.get("reverse_of"):
                        fill = (f.get("options") or {}).get("fill")
                        if fill:
                            _wrap(
                                f"tables.{ti}.fields.{pos}.",
                                lambda s=s, live=live, fill=fill: schema.set_fill_in(
                                    uow, s, live, fill
                                ),
                            )
                if t.get("display_field"):
                    df = s.by_key.get(t["display_field"])
                    if df is None:
                        raise Invalid.on(
                            f"tables.{ti}.display_field", "field.unknown", key=t["display_field"]
                        )
                    uow.update_definitions(system.tables, s.id, display_field_id=df.id)
            for ti, t in enumerate(tables):
                if t.get("validation_rules"):
                    try:
                        schema.set_validation_rules_in(uow, akey, t["key"], t["validation_rules"])
                    except Invalid as e:
                        errors = FieldErrors()
                        errors.merge(f"tables.{ti}.", e)
                        errors.raise_if_any()
            for ti, t in enumerate(tables):
                if t.get("layout") is not None:
                    schema.set_layout_in(uow, akey, t["key"], t["layout"], f"tables.{ti}.layout")
            # Form variants before processes: a step may name one.
            for ti, t in enumerate(tables):
                if t.get("forms"):
                    loc = f"tables.{ti}.forms"
                    FormService(self.s).import_in(uow, akey, t["key"], t["forms"], loc)
            # Publications of the forms (new addresses and secrets).
            for ti, t in enumerate(tables):
                if t.get("publications"):
                    loc = f"tables.{ti}.publications"
                    PublicationService(self.s).import_in(
                        uow, akey, t["key"], t["publications"], loc
                    )
            # One-ID match rules (their blocks filed from the records already loaded).
            for ti, t in enumerate(tables):
                if t.get("identity_rules"):
                    loc = f"tables.{ti}.identity_rules"
                    IdentityRuleService(self.s).import_in(
                        uow, akey, t["key"], t["identity_rules"], loc
                    )
            # Mappings first: a KPI widget or alert naming no table runs on its KPI's mapping.
            KpiMappingService(self.s).import_in(uow, akey, pkg["kpi_mappings"])
            DashboardService(self.s).import_in(uow, akey, pkg["dashboards"])
            ProcessService(self.s).import_in(uow, akey, pkg["processes"])
            # Tags before rules: a rule names them (by name in the package).
            if pkg["tags"] is not None:
                self.s.tags.import_in(uow, akey, pkg["tags"])
            # Segments and score models before rules too: a rule's trigger names them.
            segments: dict[str, int] = {}
            if pkg["segments"] is not None:
                segments = self.s.segments.import_in(uow, akey, pkg["segments"])
            models: dict[str, int] = {}
            if pkg["score_models"] is not None:
                models = self.s.scores.import_in(uow, akey, pkg["score_models"])
            rules = self.s.tags.rules_in(uow, akey, pkg["rules"])
            rules = _insight_refs_in(rules, segments, models)
            RuleService(self.s).import_in(uow, akey, rules)
            AlertService(self.s).import_in(uow, akey, pkg["alerts"])
            if pkg["customer_view"] is not None:
                CustomerViewService(self.s).import_in(uow, akey, pkg["customer_view"])
            app = uow.catalog.app(akey)
            return app_public(
                app, [table_public(uow.catalog, s) for s in uow.catalog.tables_of(app.id)]
            )


#: Rule triggers naming a segment or a score model, and the attribute that names it.
_INSIGHT_REFS = {
    "segment.entered": "segment",
    "segment.exited": "segment",
    "score.band_entered": "model",
    "score.dropped": "model",
}


def _insight_refs_out(uow: Any, app_key: str, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rules as a package carries them: the segment or score model a trigger names, by name
    (ids are an installation's)."""
    app_id = uow.catalog.app(app_key).id
    names = {
        "segment": {r.id: r.name for r in segment_rows.by_app(uow.conn, app_id)},
        "model": {r["id"]: r["name"] for r in score_rows.models(uow.conn, app_id=app_id)},
    }
    out = []
    for rule in rules:
        trigger = rule.get("trigger") or {}
        attr = _INSIGHT_REFS.get(trigger.get("type"))
        if attr is not None and trigger.get(attr) in names[attr]:
            rule = {**rule, "trigger": {**trigger, attr: names[attr][trigger[attr]]}}
        out.append(rule)
    return out


def _insight_refs_in(
    rules: list[dict[str, Any]], segments: dict[str, int], models: dict[str, int]
) -> list[dict[str, Any]]:
    """Rules from a package: a trigger's segment or score model named by name becomes the
    id of the one the package made (an unknown name is refused at the rule's trigger)."""
    ids = {"segment": segments, "model": models}
    out = []
    for i, rule in enumerate(rules):
        trigger = rule.get("trigger") if isinstance(rule, dict) else None
        attr = _INSIGHT_REFS.get(trigger.get("type")) if isinstance(trigger, dict) else None
        if attr is not None and isinstance(trigger[attr], str):  # type: ignore[index]
            found = ids[attr].get(trigger[attr])  # type: ignore[index]
            if found is None:
                raise Invalid.on(
                    f"rules.{i}.trigger.{attr}",
                    "package.unknown_name",
                    name=trigger[attr],  # type: ignore[index]
                )
            rule = {**rule, "trigger": {**trigger, attr: found}}  # type: ignore[dict-item]
        out.append(rule)
    return out


def _rows_tables(uow: Any, app_key: str, tables: list[dict[str, Any]]) -> None:
    """The tables of the sub-forms' rows, made with their fields: each is the one its
    ``parent`` names, and takes the package's name and description."""
    for ti, t in enumerate(tables):
        parent = t.get("parent")
        if parent is None:
            continue
        try:
            s = uow.catalog.table(app_key, t["key"])
        except NotFound:
            s = None
        pf = s.parent_field if s is not None else None
        if (
            s is None
            or s.parent is None
            or pf is None
            or (s.parent.table.key, pf.key) != (parent["table"], parent["field"])
        ):
            raise Invalid.on(
                f"tables.{ti}.parent",
                "package.shape",
                detail=f"no sub-form field {parent['table']}.{parent['field']} holds these rows",
            )
        name = check_name(t.get("name", s.table.name), f"tables.{ti}.name")
        uow.update_definitions(
            system.tables, s.id, name=name, description=str(t.get("description") or "")
        )


def _wrap(prefix: str, fn: Any) -> Any:
    try:
        return fn()
    except Invalid as e:
        raise e.under(prefix.rstrip(".")) from None
