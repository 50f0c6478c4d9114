"""Linkage rules of a form (表单联动): checked as users write them, stored, shown.

A form is a layout plus rules. A rule is a condition (a formula over the record's fields,
TRUE or FALSE) and the actions taken while it holds::

    {"name": "驳回须填原因", "when": "{状态} = \\"已驳回\\"",
     "actions": [{"type": "show", "fields": ["reason"]},
                 {"type": "require", "fields": ["reason"]}]}

Actions: ``show`` / ``hide`` (``fields`` and/or ``sections`` by key; a field or section some
rule shows is hidden unless such a rule holds), ``require``, ``readonly``, ``clear``
(``fields``), ``set`` (``field`` and ``value``, a formula) and ``options`` (``field`` and the
``options`` a choice field keeps). Stored with field ids, formulas with ``{#id}`` (so renaming
a field keeps its rules); shown with keys. Conditions and values must type-check and use only
what the browser evaluates (``cairn.formula.forms``). No database here.
"""

from __future__ import annotations

from typing import Any

from cairn.core import FieldErrors, Invalid, Message
from cairn.formula import (
    BOOLEAN,
    DATE,
    DATETIME,
    NUMBER,
    TEXT,
    FieldInfo,
    Formula,
    FormulaError,
    FunctionRegistry,
    parse,
    to_text,
)
from cairn.formula.ast import rename_fields
from cairn.formula.forms import check_browser
from cairn.meta.model import Field

ACTION_TYPES = ("show", "hide", "require", "readonly", "set", "clear", "options")
MAX_RULES = 100
MAX_ACTIONS = 20
MAX_NAME = 100
MAX_FORMULA = 4000

#: The formula type of a field a form rule reads, by the field type's value family.
READ_TYPES = {"number": NUMBER, "text": TEXT, "boolean": BOOLEAN, "date": DATE, "datetime": DATETIME, "choice": TEXT}  # fmt: skip
#: What a ``set`` value (or a default formula) may give for a field of each value family.
SET_TYPES: dict[str, frozenset[str]] = {
    "text": frozenset({"text", "number", "boolean", "date", "datetime", "blank"}),
    "number": frozenset({"number", "boolean", "blank"}),
    "boolean": frozenset({"boolean", "blank"}),
    "date": frozenset({"date", "datetime", "blank"}),
    "datetime": frozenset({"datetime", "date", "blank"}),
    "choice": frozenset({"text", "blank"}),
    "user": frozenset({"number", "blank"}),
}
#: The keys each action type takes.
ACTION_KEYS: dict[str, frozenset[str]] = {
    "show": frozenset({"type", "fields", "sections"}),
    "hide": frozenset({"type", "fields", "sections"}),
    "require": frozenset({"type", "fields"}),
    "readonly": frozenset({"type", "fields"}),
    "clear": frozenset({"type", "fields"}),
    "set": frozenset({"type", "field", "value"}),
    "options": frozenset({"type", "field", "options"}),
}


def find_field(shape: Any, name: str) -> Field | None:
    """A live field as a formula names it: ``#<id>``, its key or its name."""
    if name.startswith("#") and name[1:].isdecimal():
        return shape.by_id.get(int(name[1:]))
    f = shape.by_key.get(name)
    if f is not None:
        return f
    return next((x for x in shape.fields if x.name == name), None)


def value_family(shape: Any, f: Field) -> str | None:
    """The value family of a field's stored value (None: computed, no value of its own)."""
    ft = shape.types[f.id]
    return ft.value_type if ft.stored else None


class FormResolver:
    """The fields a form formula may read: the record's own stored fields of the families the
    browser knows (a single choice reads as its label); by ``#id``, key or name."""

    def __init__(self, shape: Any, fields: bool = True) -> None:
        self.shape = shape
        self.fields = fields

    def field(self, name: str) -> FieldInfo | None:
        f = find_field(self.shape, name) if self.fields else None
        if f is None:
            return None
        kind = value_family(self.shape, f)
        if kind not in READ_TYPES:
            return FieldInfo(f.key, TEXT, refused="form.field_unusable")
        if f.sensitive:
            return FieldInfo(f.key, TEXT, refused="formula.sensitive_field")
        return FieldInfo(f.key, READ_TYPES[kind])

    def target(self, relation_key: str) -> None:
        return None


def compile_formula(
    shape: Any,
    text: Any,
    functions: FunctionRegistry,
    location: str,
    *,
    browser: bool = True,
    fields: bool = True,
) -> Formula:
    """A form formula type-checked over the table's fields (``{#id}`` or keys or names)."""
    if not isinstance(text, str) or len(text) > MAX_FORMULA:
        raise Invalid.on(location, "form.default_formula", max=MAX_FORMULA)
    formula = Formula.compile(text, FormResolver(shape, fields), functions, location=location)
    if browser:
        try:
            check_browser(formula.typed)
        except FormulaError as e:
            raise e.at(location) from None
    return formula


def canonical(shape: Any, text: str) -> str:
    """A formula that type-checked, with ``{#id}`` in place of keys and names."""
    tree = parse(text)

    def to_id(name: str) -> str:
        f = find_field(shape, name)
        return f"#{f.id}" if f is not None else name

    return to_text(rename_fields(tree, to_id))


def shown_formula(shape: Any, stored: str) -> str:
    """A stored formula with keys in place of ``#id`` (a field in the recycle bin stays ``#id``)."""
    try:
        tree = parse(stored)
    except FormulaError:
        return stored

    def to_key(name: str) -> str:
        f = find_field(shape, name)
        return f.key if f is not None else name

    return to_text(rename_fields(tree, to_key))


# -- checking rules as written ------------------------------------------------------------------
class _RuleChecker:
    def __init__(
        self,
        shape: Any,
        sections: set[str],
        functions: FunctionRegistry,
        errors: FieldErrors,
    ) -> None:
        self.shape = shape
        self.sections = sections
        self.functions = functions
        self.errors = errors

    def formula(self, text: Any, loc: str) -> Formula | None:
        if not isinstance(text, str) or not text.strip():
            self.errors.add(loc, Message("form.when_required"))
            return None
        try:
            return compile_formula(self.shape, text, self.functions, loc)
        except Invalid as e:
            for k, msgs in e.field_errors.items():
                for m in msgs:
                    self.errors.add(k, m)
            return None

    def field_ids(self, keys: Any, loc: str, action: str, settable: bool = False) -> list[int]:
        """The ids of the fields ``keys`` names (checked: they exist, and can be acted on)."""
        if keys is None:
            return []
        if not isinstance(keys, list) or len(keys) > 200:
            self.errors.add(loc, Message("form.action_shape", {"keys": "fields: [key, …]"}))
            return []
        out: list[int] = []
        for k, key in enumerate(keys):
            f = self.shape.by_key.get(key) if isinstance(key, str) else None
            if f is None:
                self.errors.add(f"{loc}.{k}", Message("field.unknown", {"key": str(key)}))
                continue
            problem = self.target_problem(f, action, settable)
            if problem:
                self.errors.add(f"{loc}.{k}", Message(problem, {"key": f.key, "action": action}))
                continue
            if f.id not in out:
                out.append(f.id)
        return out

    def target_problem(self, f: Field, action: str, settable: bool) -> str | None:
        ft = self.shape.types[f.id]
        if action in ("show", "hide"):
            return None
        if not ft.writable:
            return "form.field_not_writable"
        if settable and (not ft.stored or ft.value_type not in SET_TYPES):
            return "form.field_not_settable"
        return None

    def action(self, raw: Any, loc: str) -> dict[str, Any] | None:
        if not isinstance(raw, dict) or raw.get("type") not in ACTION_TYPES:
            kind = raw.get("type") if isinstance(raw, dict) else None
            self.errors.add(f"{loc}.type", Message("form.action_type", {"type": str(kind)}))
            return None
        kind = raw["type"]
        allowed = ACTION_KEYS[kind]
        if set(raw) - allowed:
            keys = ", ".join(sorted(allowed - {"type"}))
            self.errors.add(loc, Message("form.action_shape", {"keys": keys}))
            return None
        if kind in ("show", "hide"):
            fields = self.field_ids(raw.get("fields"), f"{loc}.fields", kind)
            sections = self.section_keys(raw.get("sections"), f"{loc}.sections")
            if not raw.get("fields") and not raw.get("sections"):
                self.errors.add(loc, Message("form.action_targets"))
            return {"type": kind, "fields": fields, "sections": sections}
        if kind in ("require", "readonly", "clear"):
            if not raw.get("fields"):
                self.errors.add(f"{loc}.fields", Message("form.action_targets"))
                return None
            settable = kind == "clear"
            return {
                "type": kind,
                "fields": self.field_ids(raw["fields"], f"{loc}.fields", kind, settable),
            }
        f = self.shape.by_key.get(raw.get("field")) if isinstance(raw.get("field"), str) else None
        if f is None:
            self.errors.add(
                f"{loc}.field", Message("field.unknown", {"key": str(raw.get("field"))})
            )
            return None
        if kind == "set":
            return self.set_action(f, raw.get("value"), loc)
        return self.options_action(f, raw.get("options"), loc)

    def set_action(self, f: Field, value: Any, loc: str) -> dict[str, Any] | None:
        problem = self.target_problem(f, "set", settable=True)
        if problem:
            self.errors.add(f"{loc}.field", Message(problem, {"key": f.key, "action": "set"}))
            return None
        formula = self.formula(value, f"{loc}.value")
        if formula is None:
            return None
        family = self.shape.types[f.id].value_type
        if formula.type.kind not in SET_TYPES[family]:
            msg = Message("form.set_type", {"type": str(formula.type), "key": f.key})
            self.errors.add(f"{loc}.value", msg)
            return None
        return {"type": "set", "field": f.id, "value": canonical(self.shape, value)}

    def options_action(self, f: Field, options: Any, loc: str) -> dict[str, Any] | None:
        if self.shape.types[f.id].value_type not in ("choice", "choices"):
            self.errors.add(f"{loc}.field", Message("form.options_field", {"key": f.key}))
            return None
        if not isinstance(options, list) or not options or len(options) > 500:
            self.errors.add(f"{loc}.options", Message("form.options_empty"))
            return None
        to_id: dict[str, str] = {}
        for c in f.options.get("choices", []):
            to_id[c["value"]] = c["id"]
            to_id.setdefault(c["id"], c["id"])
        ids: list[str] = []
        for k, v in enumerate(options):
            cid = to_id.get(v) if isinstance(v, str) else None
            if cid is None:
                msg = Message("form.option_unknown", {"value": str(v), "key": f.key})
                self.errors.add(f"{loc}.options.{k}", msg)
            elif cid not in ids:
                ids.append(cid)
        return {"type": "options", "field": f.id, "options": ids}

    def section_keys(self, keys: Any, loc: str) -> list[str]:
        if keys is None:
            return []
        if not isinstance(keys, list) or len(keys) > 100:
            self.errors.add(loc, Message("form.action_shape", {"keys": "sections: [key, …]"}))
            return []
        out: list[str] = []
        for k, key in enumerate(keys):
            if not isinstance(key, str) or key not in self.sections:
                self.errors.add(f"{loc}.{k}", Message("form.section_unknown", {"key": str(key)}))
            elif key not in out:
                out.append(key)
        return out


def check_rules(
    shape: Any, raw: Any, sections: set[str], functions: FunctionRegistry, loc: str = ""
) -> list[dict[str, Any]]:
    """Rules as users write them (keys, formulas with names) → as stored (ids, ``{#id}``), or
    an ``Invalid`` naming each bad place (``rules.2.when``, ``rules.0.actions.1.fields.0``)."""
    pre = f"{loc}." if loc else ""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_RULES:
        raise Invalid.on(f"{pre}rules", "form.rules_shape", max=MAX_RULES)
    errors = FieldErrors()
    check = _RuleChecker(shape, sections, functions, errors)
    names: set[str] = set()
    out: list[dict[str, Any]] = []
    for i, rule in enumerate(raw):
        rloc = f"{pre}rules.{i}"
        if not isinstance(rule, dict) or set(rule) - {"name", "when", "actions"}:
            errors.add(rloc, Message("form.rule_shape"))
            continue
        name = rule.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
            errors.add(f"{rloc}.name", Message("form.rule_name", {"max": MAX_NAME}))
            name = ""
        elif name.strip() in names:
            errors.add(f"{rloc}.name", Message("form.rule_name_taken", {"name": name.strip()}))
        names.add(name.strip())
        when = check.formula(rule.get("when"), f"{rloc}.when")
        if when is not None and when.type != BOOLEAN:
            errors.add(f"{rloc}.when", Message("formula.not_boolean", {"column": 1}))
        actions = rule.get("actions")
        if not isinstance(actions, list) or not 1 <= len(actions) <= MAX_ACTIONS:
            errors.add(f"{rloc}.actions", Message("form.actions_shape", {"max": MAX_ACTIONS}))
            continue
        stored_actions = [check.action(a, f"{rloc}.actions.{j}") for j, a in enumerate(actions)]
        if when is not None:
            out.append(
                {
                    "name": name.strip(),
                    "when": canonical(shape, rule["when"]),
                    "actions": [a for a in stored_actions if a is not None],
                }
            )
    errors.raise_if_any()
    return out


def rules_public(shape: Any, stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored rules as users write them: field keys, option labels, formulas with keys. A
    field in the recycle bin is left out of the lists (and stays ``{#id}`` in formulas)."""
    out = []
    for rule in stored:
        actions = []
        for a in rule.get("actions") or []:
            kind = a.get("type")
            shown: dict[str, Any] = {"type": kind}
            if "fields" in a:
                shown["fields"] = [shape.by_id[i].key for i in a["fields"] if i in shape.by_id]
            if kind in ("show", "hide"):
                shown["sections"] = list(a.get("sections") or [])
            if "field" in a:
                f = shape.by_id.get(a["field"])
                shown["field"] = f.key if f is not None else f"#{a['field']}"
                if kind == "set":
                    shown["value"] = shown_formula(shape, a.get("value") or "")
                if kind == "options":
                    labels = _labels(f)
                    shown["options"] = [labels.get(c, c) for c in a.get("options") or []]
            actions.append(shown)
        out.append(
            {
                "name": rule.get("name", ""),
                "when": shown_formula(shape, rule.get("when") or ""),
                "actions": actions,
            }
        )
    return out


def _labels(f: Field | None) -> dict[str, str]:
    if f is None:
        return {}
    return {c["id"]: c["value"] for c in f.options.get("choices", [])}


def check_default_formula(
    shape: Any, f: Field, text: Any, functions: FunctionRegistry, loc: str
) -> str:
    """A field's ``default_formula``: a formula over no field (TODAY()+7, CURRENTUSER(),
    CURRENTDEPARTMENT()) whose value the field can hold."""
    family = shape.types[f.id].value_type
    if family not in SET_TYPES or not shape.types[f.id].writable:
        raise Invalid.on(loc, "form.default_formula_field", type=f.type)
    formula = compile_formula(shape, text, functions, loc, browser=False, fields=False)
    if formula.type.kind not in SET_TYPES[family]:
        raise Invalid.on(loc, "form.default_formula_type", type=str(formula.type))
    return text.strip()
