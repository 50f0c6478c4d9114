"""Checks of definitions as users write them: keys, names, positions, a field's flags, and the
errors a type conversion reports. No database."""

from __future__ import annotations

import json
from typing import Any

from cairn.core import Invalid, Message, key_problem
from cairn.meta.fieldtypes import FieldType
from cairn.meta.model import Field

#: What a field's definition may set.
FIELD_ATTRS = {
    "key",
    "name",
    "type",
    "options",
    "required",
    "unique",
    "default",
    "help_text",
    "position",
}

#: The flags of a field added by the system (a relation's reverse, a conversion's backup).
PLAIN_FLAGS: dict[str, Any] = {"required": False, "unique": False, "default": None, "help_text": ""}


def check_key(key: Any, location: str = "key") -> str:
    problem = key_problem(key)
    if problem:
        raise Invalid.on(location, problem, key=key)
    return key


def check_name(name: Any, location: str = "name") -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise Invalid.on(
            location,
            "value.too_long" if isinstance(name, str) and name else "field.required",
            max=200,
        )
    return name.strip()


def check_position(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid.on("position", "value.integer")
    return value


def display_updates(data: dict[str, Any]) -> dict[str, Any]:
    """The checked name, description and position changes of an app or a table."""
    values: dict[str, Any] = {}
    if "name" in data:
        values["name"] = check_name(data["name"])
    if "description" in data:
        values["description"] = str(data["description"] or "")
    if "position" in data:
        values["position"] = check_position(data["position"])
    return values


def unknown_attrs(spec: dict[str, Any], allowed: set[str]) -> None:
    """Refuse a field definition naming what a field does not have."""
    unknown = set(spec) - allowed
    if unknown:
        raise Invalid("invalid.input", {k: [Message("field.unknown", {"key": k})] for k in unknown})


def check_flags(ft: FieldType, spec: dict[str, Any]) -> dict[str, Any]:
    """A field's ``required``, ``unique``, ``help_text`` and ``default`` as its type allows."""
    out: dict[str, Any] = {}
    for name in ("required", "unique"):
        v = spec.get(name, False)
        if not isinstance(v, bool):
            raise Invalid.on(name, "value.boolean")
        out[name] = v
    if out["unique"] and not ft.supports_unique:
        raise Invalid.on(
            "unique", "field.option_invalid", detail=f"a {ft.key} field cannot be unique"
        )
    if out["required"] and not ft.writable:
        raise Invalid.on("required", "field.read_only")
    help_text = spec.get("help_text") or ""
    if not isinstance(help_text, str) or len(help_text) > 2000:
        raise Invalid.on("help_text", "value.too_long", max=2000)
    out["help_text"] = help_text
    out["default"] = spec.get("default")
    if out["default"] is not None and not ft.writable:
        raise Invalid.on("default", "field.read_only")
    return out


def relation_pair(f: Field) -> list[int]:
    """A relation field and its reverse (one definition across two tables); [] for others."""
    if f.type != "relation":
        return []
    other = f.options.get("reverse_of") or f.options.get("reverse_field_id")
    return [f.id, other] if other else [f.id]


def backup_key(fields: list[Field], f: Field) -> str:
    """A free key for the field keeping ``f``'s old values after a conversion."""
    base = f"{f.key}_{f.type}"[:56]
    key, n = base, 2
    taken = {g.key for g in fields}
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def conversion_refused(report: dict[str, Any]) -> Invalid:
    """The error of a conversion some values of which do not convert."""
    err = Invalid(
        "invalid.input",
        {
            f"records.{x['id']}": [
                Message(
                    x["error"], {"value": json.dumps(x["value"], ensure_ascii=False, default=str)}
                )
            ]
            for x in report["failures"][:20]
        },
    )
    err.extra = {
        "conversion": report,
        "hint": 'send "convert": "keep" to convert anyway and keep the old values',
    }  # type: ignore[attr-defined]
    return err


def no_conversion(source: str, target: str) -> Invalid:
    """The error of a conversion no value of which converts."""
    return Invalid(
        "invalid.input",
        {"type": [Message("field.no_conversion", {"source": source, "target": target})]},
    )
