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

The rules come compiled (``form_compile.compile_form``); values cross between the API and
the formulas as ``form_values`` converts them. No database here: the values come in and the
state goes out.
"""

from __future__ import annotations

from typing import Any

from cairn.formula import DictRecord, Environment
from cairn.meta.form_model import CompiledForm, FormState
from cairn.meta.form_values import formula_value, input_value


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
