"""The linkage runtime of a table's forms: the form in force compiled (once per catalogue
snapshot and variant version), the environment its formulas run in, the default formulas, and
what a form's rules make of a record's values.

Record writes enforce a form's rules with it (``store/record_forms.py`` applies them), process
tasks show what a step's form makes of a record, and a new record (or a public form's page)
starts from ``start_values``. The rules themselves are ``meta/form_rules.py`` (checked),
``meta/form_compile.py`` (compiled) and ``meta/form_runtime.py`` (run)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from cairn.core import Invalid
from cairn.forms.ports import Work
from cairn.formula import Environment, Formula, FormulaError
from cairn.formula.forms import form_functions
from cairn.meta.form_compile import compile_form, places_of
from cairn.meta.form_model import Action, CompiledForm, FormState
from cairn.meta.form_rules import SET_TYPES, FormResolver
from cairn.meta.form_runtime import run
from cairn.meta.form_values import input_value
from cairn.query.formula import environment as local_environment
from cairn.store import TableSchema
from cairn.store import forms as store

#: The key of a table's default form (its layout); a variant may not take it.
DEFAULT = "default"

DefaultFormulas = tuple[list[tuple[str, Formula, Action]], bool]


def compiled(work: Work, s: TableSchema, key: str | None) -> CompiledForm:
    """The linkage of the table's form ``key`` (None or ``default``: the table's layout),
    compiled once per catalogue snapshot (and variant version). A key the table does not
    have: 422 at ``form``."""
    if key is None or key == DEFAULT:
        memo_key: tuple[Any, ...] = ("form", DEFAULT)
        layout = s.table.layout
    else:
        row = store.get(work.conn, s.id, key)
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
    work: Work, form: CompiledForm | None = None, department: bool = False
) -> Environment:
    """Today, now and the zone's offset, with the acting user (and their department's name
    when the formulas ask for it)."""
    env = local_environment(work.catalog, work.clock)
    user_id = work.actor_id
    name = None
    if user_id is not None and (department or (form is not None and form.uses_department)):
        name = store.department_name(work.conn, user_id)
    return replace(env, user_id=user_id, department=name)


def default_formulas(s: TableSchema) -> DefaultFormulas:
    """The table's default formulas (compiled once per snapshot) and whether one asks for the
    department."""
    got: DefaultFormulas | None = s.memo.get(("defaults",))
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


def formula_defaults(s: TableSchema, env: Environment, given: dict[str, Any]) -> dict[str, Any]:
    """The values of the default formulas of the fields ``given`` has no value for."""
    out: dict[str, Any] = {}
    for key, formula, action in default_formulas(s)[0]:
        if key not in given:
            out[key] = input_value(action, formula.evaluate(_NoRecord(), env), env)
    return out


def fill_defaults(work: Work, s: TableSchema, items: list[Any]) -> list[Any]:
    """The items of a write with the default formulas' values in the creates that leave those
    fields out (computed for the acting user)."""
    formulas, department = default_formulas(s)
    creates = [i for i, r in enumerate(items) if isinstance(r, dict) and "id" not in r]
    if not formulas or not creates:
        return items
    env = environment(work, department=department)
    out = list(items)
    for i in creates:
        missing = formula_defaults(s, env, out[i])
        if missing:
            out[i] = {**out[i], **missing}
    return out


def start_values(
    s: TableSchema, form: CompiledForm, env: Environment, carried: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A new record's values before the user types: the fields' defaults, what ``carried``
    brings (a signed link's values), the default formulas of the fields still empty, then
    what the form's rules set."""
    values: dict[str, Any] = {}
    for f in s.fields:
        if f.default is not None and s.types[f.id].writable:
            values[f.key] = f.default
    values.update(carried or {})
    values.update(formula_defaults(s, env, values))
    if form.rules:
        state = run(form, values, env)
        values.update({k: state.values[k] for k in state.set_by})
    return values


def state_of(
    work: Work, s: TableSchema, key: str | None, values: dict[str, Any]
) -> FormState | None:
    """What form ``key``'s rules make of a record's values (None: the form has none)."""
    form = compiled(work, s, key)
    if not form.rules:
        return None
    return run(form, values, environment(work, form))


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


class _NoRecord:
    """What a default formula reads fields from: nothing (it may use none)."""

    def value(self, key: str) -> Any:
        return None

    def related(self, relation_key: str) -> list[Any]:
        return []
