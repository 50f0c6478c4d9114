"""A form's linkage rules compiled (``form_compile.py``) and what they make of a record's
values (``form_runtime.py``): the rules with their actions, the form as the browser runs it
(``CompiledForm.browser()``, mirrored by ``web/src/formula/linkage.ts``), and the state of
one record's form. No database here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cairn.formula import Formula
from cairn.formula.forms import to_json


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
