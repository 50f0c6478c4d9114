"""A stored layout's linkage rules compiled to run (``form_model.CompiledForm``): each
condition and ``set`` value a formula over the table's fields, each action by field key, and
what the rules read (the fields and their value families, whether a rule reads the clock or
the current department). A formula naming a field that is gone (in the recycle bin) makes its
condition never hold, or its ``set`` do nothing. No database here."""

from __future__ import annotations

from typing import Any

from cairn.formula import Formula, FormulaError
from cairn.formula.forms import form_functions, uses_fields, uses_functions
from cairn.meta.form_model import Action, CompiledForm, Rule
from cairn.meta.form_rules import FormResolver, value_family
from cairn.meta.model import Field

#: Functions whose value changes while a form is open (the browser re-runs their rules).
VOLATILE = frozenset({"TODAY", "NOW"})


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
