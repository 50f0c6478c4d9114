"""Running a form's linkage rules over a record's values: which fields show, which are
required or read-only, what the rules set or clear, which options a choice field keeps.

The browser runs the same algorithm as the user types (``web/src/formula/linkage.ts``, over
the JSON ``CompiledForm.browser()`` gives it) and the server runs it again when the record is
saved (``cairn.store.record_forms``), so both must agree exactly:

1. The rules run in order over the record's values as the API shows them (a choice by its
   label, a date ``YYYY-MM-DD``, a datetime ISO 8601 with its offset). A rule holds when its
   condition is TRUE (blank, FALSE or an error: it does not). While it holds, its ``set``
   actions give a field the value of their formula and its ``clear`` actions blank it, in
   order, so a later rule sees what an earlier one set.
2. Then, over the rules that hold: a field (or section) that some rule *shows* is hidden
   unless such a rule holds; one a holding rule *hides* is hidden; a field in a hidden
   section is hidden. ``require`` and ``readonly`` name the first holding rule; a hidden field
   is never required. ``options`` of several holding rules keep what they all allow.

No database here: the values come in and the state goes out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from cairn.formula import DictRecord, Environment, ErrorValue, Formula, FormulaError
from cairn.formula import runtime as rt
from cairn.formula.forms import form_functions, to_json, uses_fields, uses_functions
from cairn.meta.form_rules import FormResolver, value_family
from cairn.meta.model import Field

#: Functions whose value changes while a form is open (the browser re-runs their rules).
VOLATILE = frozenset({"TODAY", "NOW"})

# ASCII digits only, and the whole text (``\Z``): as the browser's regular expressions read it.
_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATETIME = re.compile(
    r"^([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]+)?)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?\Z"
)


@dataclass(frozen=True)
class Action:
    type: str
    fields: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    #: ``set`` and ``options``: the field (key) and its value family.
    field: str | None = None
    family: str | None = None
    #: ``set`` of a number: the decimal places the field keeps.
    places: int | None = None
    value: Formula | None = None
    #: ``options``: the labels the field keeps.
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    name: str
    #: None: the condition names a field that is gone (in the recycle bin): it never holds.
    when: Formula | None
    actions: tuple[Action, ...]
    #: The field keys its condition and set values read.
    inputs: tuple[str, ...] = ()
    volatile: bool = False


@dataclass(frozen=True)
class CompiledForm:
    rules: tuple[Rule, ...] = ()
    #: Every field a rule reads or sets: key → value family.
    kinds: dict[str, str] = field(default_factory=dict)
    #: What some rule shows (so hidden unless a holding rule shows it).
    show_fields: frozenset[str] = frozenset()
    show_sections: frozenset[str] = frozenset()
    #: Section key → the fields placed in it.
    section_fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    uses_department: bool = False
    #: A form variant shows only the fields its layout places (None: every field, as the
    #: default form does); the others count as hidden.
    fields: frozenset[str] | None = None

    @property
    def enforced(self) -> bool:
        """Does a write through this form need looking at (rules, or fields it leaves out)?"""
        return bool(self.rules) or self.fields is not None

    def browser(self) -> dict[str, Any]:
        """The form as the browser runs it: each rule's condition and set values as typed
        JSON trees (``cairn.formula.forms.to_json``)."""
        return {
            "rules": [
                {
                    "name": r.name,
                    "when": to_json(r.when.typed) if r.when is not None else None,
                    "inputs": list(r.inputs),
                    "volatile": r.volatile,
                    "actions": [_action_json(a) for a in r.actions],
                }
                for r in self.rules
            ],
            "kinds": dict(self.kinds),
            "show_fields": sorted(self.show_fields),
            "show_sections": sorted(self.show_sections),
            "sections": {k: list(v) for k, v in self.section_fields.items()},
        }


def _action_json(a: Action) -> dict[str, Any]:
    out: dict[str, Any] = {"type": a.type}
    if a.type in ("show", "hide"):
        out["fields"] = list(a.fields)
        out["sections"] = list(a.sections)
    elif a.type in ("require", "readonly", "clear"):
        out["fields"] = list(a.fields)
    else:
        out["field"] = a.field
        out["family"] = a.family
    if a.type == "set":
        out["value"] = to_json(a.value.typed) if a.value is not None else None
        out["places"] = a.places
    if a.type == "options":
        out["options"] = list(a.options)
    return out


@dataclass
class FormState:
    """What the rules make of one record's values."""

    values: dict[str, Any]
    #: Fields a rule set or cleared → that rule's name.
    set_by: dict[str, str] = field(default_factory=dict)
    hidden: frozenset[str] = frozenset()
    hidden_sections: frozenset[str] = frozenset()
    required: dict[str, str] = field(default_factory=dict)
    readonly: dict[str, str] = field(default_factory=dict)
    #: Field → (the labels it keeps, the first rule limiting it).
    options: dict[str, tuple[tuple[str, ...], str]] = field(default_factory=dict)
    active: tuple[bool, ...] = ()


# -- compiling ----------------------------------------------------------------------------------
def _compile(shape: Any, text: str) -> Formula | None:
    try:
        return Formula.compile(text, FormResolver(shape), form_functions())
    except FormulaError:
        return None


def places_of(shape: Any, f: Field) -> int | None:
    """The decimal places a number field keeps (None: not a number field)."""
    ft = shape.types[f.id]
    if ft.value_type != "number":
        return None
    return int(f.options.get("decimals") or 0) + int(getattr(ft, "scale", 0) or 0)


def placed(shape: Any, layout: dict[str, Any] | None) -> frozenset[str]:
    """The keys of the live fields a stored layout places."""
    return frozenset(
        shape.by_id[c].key
        for sec in (layout or {}).get("sections") or []
        for row in sec.get("rows") or []
        for c in row
        if c in shape.by_id
    )


def compile_form(
    shape: Any, layout: dict[str, Any] | None, only_placed: bool = False
) -> CompiledForm:
    """A stored layout's rules, ready to run (a formula naming a field that is gone makes its
    condition never hold, or its ``set`` do nothing). ``only_placed``: a variant's layout,
    whose form shows only the fields it places."""
    fields = placed(shape, layout) if only_placed else None
    if not layout or not layout.get("rules"):
        return CompiledForm(fields=fields)
    kinds: dict[str, str] = {}
    rules: list[Rule] = []
    show_f: set[str] = set()
    show_s: set[str] = set()
    used: set[str] = set()
    for raw in layout["rules"]:
        when = _compile(shape, raw.get("when") or "")
        inputs: list[str] = uses_fields(when.typed) if when is not None else []
        fns = uses_functions(when.typed) if when is not None else set()
        actions: list[Action] = []
        for a in raw.get("actions") or []:
            action = _compile_action(shape, a, kinds)
            if action is None:
                continue
            if action.value is not None:
                inputs.extend(uses_fields(action.value.typed))
                fns |= uses_functions(action.value.typed)
            if action.type == "show":
                show_f.update(action.fields)
                show_s.update(action.sections)
            actions.append(action)
        for key in inputs:
            f = shape.by_key[key]
            kinds[key] = value_family(shape, f) or "text"
        used |= fns
        rules.append(
            Rule(
                str(raw.get("name") or ""),
                when,
                tuple(actions),
                tuple(dict.fromkeys(inputs)),
                bool(fns & VOLATILE),
            )
        )
    sections = {
        sec["key"]: tuple(
            shape.by_id[c].key for row in sec.get("rows") or [] for c in row if c in shape.by_id
        )
        for sec in layout.get("sections") or []
        if sec.get("key")
    }
    return CompiledForm(
        tuple(rules),
        kinds,
        frozenset(show_f),
        frozenset(show_s),
        sections,
        "CURRENTDEPARTMENT" in used,
        fields,
    )


def _compile_action(shape: Any, a: dict[str, Any], kinds: dict[str, str]) -> Action | None:
    kind = a.get("type")
    keys = tuple(shape.by_id[i].key for i in a.get("fields") or [] if i in shape.by_id)
    if kind in ("show", "hide"):
        return Action(kind, keys, tuple(a.get("sections") or []))
    if kind in ("require", "readonly", "clear"):
        if kind == "clear":
            for k in keys:
                kinds.setdefault(k, value_family(shape, shape.by_key[k]) or "text")
        return Action(kind, keys)
    f = shape.by_id.get(a.get("field"))
    if f is None:
        return None
    family = value_family(shape, f) or "text"
    if kind == "set":
        value = _compile(shape, a.get("value") or "")
        if value is None:
            return None
        kinds.setdefault(f.key, family)
        return Action("set", field=f.key, family=family, places=places_of(shape, f), value=value)
    labels = {c["id"]: c["value"] for c in f.options.get("choices", [])}
    options = tuple(labels[c] for c in a.get("options") or [] if c in labels)
    return Action("options", field=f.key, family=family, options=options)


# -- values in and out ----------------------------------------------------------------------------
def formula_value(family: str, v: Any, utc_offset: int) -> Any:
    """A value as the API shows it → as a formula reads a stored value (a datetime as naive
    UTC). What does not parse is blank."""
    if v is None:
        return None
    if family == "number":
        if isinstance(v, bool):
            return None
        if isinstance(v, int | float):
            return float(v)
        if isinstance(v, str):
            got = rt.text_number(v)
            return None if isinstance(got, ErrorValue) else got
        return None
    if family in ("text", "choice"):
        return v if isinstance(v, str) else None
    if family == "boolean":
        return v if isinstance(v, bool) else None
    if family == "date":
        m = _DATE.match(v) if isinstance(v, str) else None
        return _date(*(int(x) for x in m.groups())) if m else None
    if family == "datetime":
        return parse_datetime(v, utc_offset) if isinstance(v, str) else None
    return None


def _date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def parse_datetime(text: str, utc_offset: int) -> datetime | None:
    """ISO 8601 (an offset or Z; none: local time) → naive UTC, whole seconds."""
    m = _DATETIME.match(text)
    if m is None:
        return None
    y, mo, d, h, mi = (int(x) for x in m.groups()[:5])
    sec = int(m.group(6) or 0)
    day = _date(y, mo, d)
    if day is None or h > 23 or mi > 59 or sec > 59:
        return None
    zone = m.group(7)
    if zone is None:
        offset = utc_offset
    elif zone == "Z":
        offset = 0
    else:
        digits = zone[1:].replace(":", "")
        offset = (int(digits[:2]) * 3600 + int(digits[2:]) * 60) * (1 if zone[0] == "+" else -1)
    try:
        utc = datetime(y, mo, d, h, mi, sec) - timedelta(seconds=offset)
        utc + timedelta(seconds=utc_offset)  # read back in local time, it is still a date
    except OverflowError:
        return None
    return utc


def input_value(action: Action, value: Any, env: Environment) -> Any:
    """A formula's value as the API takes it for the field a ``set`` fills (errors: blank)."""
    if value is None or isinstance(value, ErrorValue):
        return None
    family = action.family
    if family in ("text", "choice"):
        return value if isinstance(value, str) else rt.to_text(value)
    if family in ("number", "user"):
        x = float(value)
        if family == "number" and action.places is not None:
            x = rt.round_number(x, action.places, "half")
        if family == "user":
            return int(x) if x.is_integer() and 0 < x < 2**53 else None
        return int(x) if x.is_integer() and abs(x) < 2**53 else x
    if family == "boolean":
        return bool(value)
    if family == "date":
        return rt.as_date(value).isoformat()
    if family == "datetime":
        t = rt.as_datetime(value)
        sign = "+" if env.utc_offset >= 0 else "-"
        off = abs(env.utc_offset)
        zone = f"{sign}{off // 3600:02d}:{off % 3600 // 60:02d}"
        clock = f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
        return f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{clock}{zone}"
    return None


# -- running ----------------------------------------------------------------------------------------
def run(form: CompiledForm, values: dict[str, Any], env: Environment) -> FormState:
    """The rules over ``values`` (API-shaped, by field key)."""
    values = dict(values)
    inputs = {k: formula_value(fam, values.get(k), env.utc_offset) for k, fam in form.kinds.items()}
    record = DictRecord(inputs)
    set_by: dict[str, str] = {}
    active: list[bool] = []
    for rule in form.rules:
        on = rule.when is not None and rule.when.evaluate(record, env) is True
        active.append(on)
        if not on:
            continue
        for a in rule.actions:
            if a.type == "set" and a.value is not None and a.field is not None:
                v = input_value(a, a.value.evaluate(record, env), env)
                _put(form, values, inputs, set_by, a.field, v, rule.name, env)
            elif a.type == "clear":
                for k in a.fields:
                    _put(form, values, inputs, set_by, k, None, rule.name, env)
    return _state(form, tuple(active), values, set_by)


def _put(
    form: CompiledForm,
    values: dict[str, Any],
    inputs: dict[str, Any],
    set_by: dict[str, str],
    key: str,
    v: Any,
    rule: str,
    env: Environment,
) -> None:
    values[key] = v
    set_by[key] = rule
    if key in form.kinds:
        inputs[key] = formula_value(form.kinds[key], v, env.utc_offset)


def _state(
    form: CompiledForm, active: tuple[bool, ...], values: dict[str, Any], set_by: dict[str, str]
) -> FormState:
    shown_f: set[str] = set()
    shown_s: set[str] = set()
    hide_f: set[str] = set()
    hide_s: set[str] = set()
    required: dict[str, str] = {}
    readonly: dict[str, str] = {}
    options: dict[str, tuple[tuple[str, ...], str]] = {}
    for rule, on in zip(form.rules, active, strict=True):
        if not on:
            continue
        for a in rule.actions:
            if a.type == "show":
                shown_f.update(a.fields)
                shown_s.update(a.sections)
            elif a.type == "hide":
                hide_f.update(a.fields)
                hide_s.update(a.sections)
            elif a.type == "require":
                for k in a.fields:
                    required.setdefault(k, rule.name)
            elif a.type == "readonly":
                for k in a.fields:
                    readonly.setdefault(k, rule.name)
            elif a.type == "options" and a.field is not None:
                if a.field in options:
                    kept, first = options[a.field]
                    options[a.field] = (tuple(x for x in kept if x in a.options), first)
                else:
                    options[a.field] = (a.options, rule.name)
    hidden_sections = (form.show_sections - shown_s) | hide_s
    hidden = set(form.show_fields - shown_f) | hide_f
    for sec in hidden_sections:
        hidden.update(form.section_fields.get(sec, ()))
    return FormState(
        values=values,
        set_by=set_by,
        hidden=frozenset(hidden),
        hidden_sections=frozenset(hidden_sections),
        required={k: r for k, r in required.items() if k not in hidden},
        readonly=readonly,
        options=options,
        active=active,
    )
