"""Forms of a table (表单): its default form (the table's layout) and its form variants, each a
layout with linkage rules; read by whoever reads the table, designed by its managers, carried
in app packages. Record writes run the linkage of the form in force (``records`` asks
``compiled``); the rules themselves live in ``meta/form_rules.py`` and
``meta/form_runtime.py``, and their enforcement on a write in ``store/record_forms.py``."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Principal, known_role_keys, role_keys
from cairn.core import Conflict, Invalid, NotFound
from cairn.formula import Environment, Formula, FormulaError
from cairn.formula.forms import form_functions
from cairn.meta.checks import check_key, check_name, check_position
from cairn.meta.form_rules import SET_TYPES, FormResolver
from cairn.meta.form_runtime import (
    Action,
    CompiledForm,
    FormState,
    compile_form,
    input_value,
    places_of,
    run,
)
from cairn.meta.layouts import check_layout, layout_effective, layout_public
from cairn.query.formula import environment as local_environment
from cairn.services.shown import listed_or_403, unlisted
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import TableSchema
from cairn.store import forms as store
from cairn.store import public_forms as public_store

if TYPE_CHECKING:
    from cairn.services.context import Services

DEFAULT = "default"
MAX_VARIANTS = 50


class FormService:
    def __init__(self, services: Services) -> None:
        self.s = services

    # -- reads ----------------------------------------------------------------------------------
    def list(self, app: str, table: str, principal: Principal = SYSTEM) -> dict[str, Any]:
        """The table's forms (its default form first) and the key of the one the caller
        opens by default: the first variant one of their roles is given, else the default."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            listed_or_403(uow, s)
            rows = store.for_table(uow.conn, s.id)
            mine = role_keys(uow.conn, principal.user_id) if principal.user_id else set()
            in_force = next((r.key for r in rows if mine & set(r.roles or [])), DEFAULT)
            items = [_default_summary(s)] + [_summary(r) for r in rows]
            return {"items": items, "in_force": in_force}

    def get(self, app: str, table: str, key: str, principal: Principal = SYSTEM) -> dict[str, Any]:
        """One form as a form page needs it: its layout (the fields the caller may not see
        left out), its rules as written, and ``linkage``: the rules as the browser runs them,
        with ``env`` (today, now, the zone's offset, the caller) to run them in."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            hidden = unlisted(uow, s, listed_or_403(uow, s))
            if key == DEFAULT:
                out = _default_summary(s)
                raw = s.table.layout
            else:
                row = self._row(uow, s, key)
                out = _summary(row)
                raw = row.layout
            compiled = self.compiled(uow, s, key)
            out["layout"] = layout_public(s, raw=raw) if raw else None
            if key == DEFAULT:
                out["effective"] = layout_effective(s, hidden, raw or None)
            else:  # a variant shows what it places, nothing more
                out["effective"] = layout_public(s, hidden, raw) or {"sections": []}
            out["linkage"] = compiled.browser()
            out["env"] = env_json(self.environment(uow, compiled))
            return out

    def defaults(
        self, app: str, table: str, form: str | None = None, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        """A new record's values before the user types: the fields' defaults, their default
        formulas (for the caller: CURRENTUSER() …), then what the form's rules set."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            listed_or_403(uow, s)
            compiled = self.compiled(uow, s, form)
            env = self.environment(uow, compiled, department=self._defaults(s)[1])
            values: dict[str, Any] = {}
            for f in s.fields:
                if f.default is not None and s.types[f.id].writable:
                    values[f.key] = f.default
            values.update(self.formula_defaults(s, env, values))
            if compiled.rules:
                state = run(compiled, values, env)
                values.update({k: state.values[k] for k in state.set_by})
            return {"values": values}

    # -- writes ---------------------------------------------------------------------------------
    def create(
        self, app: str, table: str, body: dict[str, Any], principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        with unit_of_work(self.s, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            self.create_in(uow, s, body)
        return self.get(app, table, body["key"], principal)

    def create_in(
        self, uow: UnitOfWork, s: TableSchema, body: Any, loc: str = "", *, known: bool = False
    ) -> None:
        """Add a variant. ``known``: keep only the roles this installation has (an app
        package's roles may not all be here); otherwise an unknown role is refused."""
        pre = f"{loc}." if loc else ""
        if not isinstance(body, dict) or set(body) - {"key", "name", "layout", "roles", "position"}:
            raise Invalid.on(loc or "body", "filter.shape")
        key = check_key(body.get("key"), f"{pre}key")
        if key == DEFAULT or store.get(uow.conn, s.id, key) is not None:
            raise Invalid.on(f"{pre}key", "form.key_taken", key=key)
        rows = store.for_table(uow.conn, s.id)
        if len(rows) >= MAX_VARIANTS:
            raise Invalid.on(f"{pre}key", "form.rules_shape", max=MAX_VARIANTS)
        position = body.get("position", len(rows) + 1)
        store.insert(
            uow.conn,
            uow.now,
            table_id=s.id,
            key=key,
            name=check_name(body.get("name", key), f"{pre}name"),
            layout=self._layout(s, body.get("layout"), f"{pre}layout"),
            roles=self._roles(uow, body.get("roles"), f"{pre}roles", known),
            position=check_position(position),
        )

    def update(
        self, app: str, table: str, key: str, body: Any, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        """Change a variant's name, layout (with its rules), roles or position; ``version``,
        when given, must be the current one (409 otherwise). The default form is the table's
        layout: only its ``layout`` changes here (as ``PUT …/layout``)."""
        if not isinstance(body, dict) or set(body) - {
            "name",
            "layout",
            "roles",
            "position",
            "version",
        }:
            raise Invalid.on("body", "filter.shape")
        if key == DEFAULT:
            if set(body) - {"layout", "version"}:
                raise Invalid.on("key", "form.default_fixed")
            if "layout" in body:
                self.s.schema.set_layout(principal, app, table, body["layout"])
            return self.get(app, table, key, principal)
        with unit_of_work(self.s, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            row = self._row(uow, s, key)
            values: dict[str, Any] = {}
            if "name" in body:
                values["name"] = check_name(body["name"])
            if "layout" in body:
                values["layout"] = self._layout(s, body["layout"], "layout")
            if "roles" in body:
                values["roles"] = self._roles(uow, body["roles"], "roles")
            if "position" in body:
                values["position"] = check_position(body["position"])
            version = body.get("version", row.version)
            if values and store.update(uow.conn, row.id, version, uow.now, **values) is None:
                raise Conflict("record.stale", expected=version, actual=row.version)
        return self.get(app, table, key, principal)

    def delete(self, app: str, table: str, key: str, principal: Principal = SYSTEM) -> None:
        if key == DEFAULT:
            raise Invalid.on("key", "form.default_fixed")
        with unit_of_work(self.s, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            row = self._row(uow, s, key)
            published = public_store.for_form(uow.conn, s.id, key)
            if published is not None:  # its publication (表单发布) goes with it
                public_store.delete(uow.conn, published.id)
            store.delete(uow.conn, row.id)

    @staticmethod
    def _row(uow: UnitOfWork, s: TableSchema, key: str) -> Any:
        row = store.get(uow.conn, s.id, key)
        if row is None:
            raise NotFound("form.not_found", key=key)
        return row

    @staticmethod
    def _layout(s: TableSchema, raw: Any, loc: str) -> dict[str, Any]:
        return check_layout(s, raw, loc) or {"sections": []}

    @staticmethod
    def _roles(uow: UnitOfWork, raw: Any, loc: str, known_only: bool = False) -> list[str]:
        if raw is None:
            return []
        if not isinstance(raw, list) or not all(isinstance(k, str) for k in raw):
            raise Invalid.on(loc, "form.roles")
        keys = list(dict.fromkeys(raw))
        known = known_role_keys(uow.conn, keys) if keys else set()
        if known_only:
            return [k for k in keys if k in known]
        for i, k in enumerate(keys):
            if k not in known:
                raise Invalid.on(f"{loc}.{i}", "form.role_unknown", key=k)
        return keys

    # -- what record writes and tasks run -------------------------------------------------------
    def compiled(self, uow: UnitOfWork, s: TableSchema, key: str | None) -> CompiledForm:
        """The linkage of the table's form ``key`` (None or ``default``: the table's layout),
        compiled once per catalogue snapshot (and variant version). A key the table does not
        have: 422 at ``form``."""
        if key is None or key == DEFAULT:
            memo_key: tuple[Any, ...] = ("form", DEFAULT)
            layout = s.table.layout
        else:
            row = store.get(uow.conn, s.id, key)
            if row is None:
                raise Invalid.on("form", "form.not_found", key=key)
            memo_key = ("form", row.id, row.version)
            layout = row.layout
        got = s.memo.get(memo_key)
        if got is None:
            variant = memo_key[1] != DEFAULT
            got = s.memo[memo_key] = compile_form(s, layout, only_placed=variant)
        return got

    def environment(
        self, uow: UnitOfWork, form: CompiledForm | None = None, department: bool = False
    ) -> Environment:
        """Today, now and the zone's offset, with the acting user (and their department's
        name when the formulas ask for it)."""
        env = local_environment(uow.catalog, self.s.clock)
        user_id = uow.actor_id
        name = None
        if user_id is not None and (department or (form is not None and form.uses_department)):
            name = store.department_name(uow.conn, user_id)
        return replace(env, user_id=user_id, department=name)

    def _defaults(self, s: TableSchema) -> tuple[list[tuple[str, Formula, Action]], bool]:
        """The table's default formulas (compiled once per snapshot) and whether one asks
        for the department."""
        got = s.memo.get(("defaults",))
        if got is None:
            found: list[tuple[str, Formula, Action]] = []
            department = False
            for f in s.fields:
                text = f.options.get("default_formula")
                ft = s.types[f.id]
                if not text or not ft.writable or ft.value_type not in SET_TYPES:
                    continue
                try:
                    formula = Formula.compile(text, FormResolver(s, False), form_functions())
                except FormulaError:
                    continue
                department = department or "CURRENTDEPARTMENT" in text.upper()
                action = Action("set", field=f.key, family=ft.value_type, places=places_of(s, f))
                found.append((f.key, formula, action))
            got = s.memo[("defaults",)] = (found, department)
        return got

    def formula_defaults(
        self, s: TableSchema, env: Environment, given: dict[str, Any]
    ) -> dict[str, Any]:
        """The values of the default formulas of the fields ``given`` has no value for."""
        out: dict[str, Any] = {}
        for key, formula, action in self._defaults(s)[0]:
            if key not in given:
                out[key] = input_value(action, formula.evaluate(_NoRecord(), env), env)
        return out

    def fill_defaults(self, uow: UnitOfWork, s: TableSchema, items: list[Any]) -> list[Any]:
        """The items of a write with the default formulas' values in the creates that leave
        those fields out (computed for the acting user)."""
        formulas, department = self._defaults(s)
        creates = [i for i, r in enumerate(items) if isinstance(r, dict) and "id" not in r]
        if not formulas or not creates:
            return items
        env = self.environment(uow, department=department)
        out = list(items)
        for i in creates:
            missing = self.formula_defaults(s, env, out[i])
            if missing:
                out[i] = {**out[i], **missing}
        return out

    def state_of(
        self, uow: UnitOfWork, s: TableSchema, key: str | None, values: dict[str, Any]
    ) -> FormState | None:
        """What form ``key``'s rules make of a record's values (None: the form has none)."""
        form = self.compiled(uow, s, key)
        if not form.rules:
            return None
        return run(form, values, self.environment(uow, form))

    # -- app packages ---------------------------------------------------------------------------
    def export_in(self, uow: UnitOfWork, s: TableSchema) -> list[dict[str, Any]]:
        return [
            {
                "key": r.key,
                "name": r.name,
                "layout": layout_public(s, raw=r.layout) or {"sections": []},
                "roles": list(r.roles or []),
                "position": r.position,
            }
            for r in store.for_table(uow.conn, s.id)
        ]

    def import_in(self, uow: UnitOfWork, app: str, table: str, items: Any, loc: str) -> None:
        if not isinstance(items, list):
            raise Invalid.on(loc, "package.shape", detail="forms must be a list")
        s = uow.catalog.table(app, table)
        for i, item in enumerate(items):
            self.create_in(uow, s, item, f"{loc}.{i}", known=True)


class _NoRecord:
    """What a default formula reads fields from: nothing (it may use none)."""

    def value(self, key: str) -> Any:
        return None

    def related(self, relation_key: str) -> list[Any]:
        return []


def _summary(row: Any) -> dict[str, Any]:
    return {
        "key": row.key,
        "name": row.name,
        "roles": list(row.roles or []),
        "position": row.position,
        "default": False,
        "version": row.version,
    }


def _default_summary(s: TableSchema) -> dict[str, Any]:
    return {"key": DEFAULT, "name": s.table.name, "roles": [], "position": 0, "default": True}


def env_json(env: Environment) -> dict[str, Any]:
    """What the browser runs the rules in: today and now (local), the zone's offset in
    seconds, the acting user and their department."""
    return {
        "today": env.today.isoformat(),
        "now": env.now.strftime("%Y-%m-%dT%H:%M:%S"),
        "utc_offset": env.utc_offset,
        "user_id": env.user_id,
        "department": env.department,
    }
