"""Checks of definitions as users write them: keys, names, positions, a field's flags, and the
errors a type conversion reports. No database."""

from __future__ import annotations

from typing import Any

from cairn.core import FieldErrors, Invalid, Message, key_problem
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


def check_text(errors: FieldErrors, body: dict[str, Any], key: str, max_len: int) -> None:
    """``body[key]``, when given, is a text of at most ``max_len`` characters."""
    v = body.get(key)
    if v is None:
        return
    if not isinstance(v, str):
        errors.add(key, Message("value.text"))
    elif len(v) > max_len:
        errors.add(key, Message("value.too_long", {"max": max_len}))


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


def flag_updates(ft: FieldType, f: Field, data: dict[str, Any]) -> dict[str, Any]:
    """The columns of ``f``'s definition that ``data`` changes among its flags and position,
    checked as its type allows them together with the flags it keeps."""
    names = ("required", "unique", "help_text", "default")
    current = {"required": f.required, "unique": f.unique, "help_text": f.help_text}
    flags = check_flags(
        ft, {**current, "default": f.default, **{k: data[k] for k in names if k in data}}
    )
    values: dict[str, Any] = {}
    for name in ("required", "help_text", "default"):
        if name in data:
            values[name] = flags[name]
    if "unique" in data and flags["unique"] != f.unique:
        values["is_unique"] = flags["unique"]
    if "position" in data:
        values["position"] = check_position(data["position"])
    return values


def reverse_definition(
    reverse: dict[str, Any], table_key: str, table_name: str, taken: set[str]
) -> tuple[str, str, bool]:
    """(key, name, multiple) of a relation's reverse field, from what the relation asks of it
    (``reverse``), named after the relation's table by default; a key of ``taken`` gets a
    number."""
    key = reverse.get("key") or table_key
    base, n = key, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    check_key(key, "options.reverse.key")
    name = reverse.get("name") or table_name
    multiple = reverse.get("multiple", True)
    if not isinstance(multiple, bool):
        raise Invalid.on("options.reverse.multiple", "value.boolean")
    return key, check_name(name, "options.reverse.name"), multiple


def relation_pair(f: Field) -> list[int]:
    """A relation field and its reverse (one definition across two tables); [] for others."""
    if f.type != "relation":
        return []
    other = f.options.get("reverse_of") or f.options.get("reverse_field_id")
    return [f.id, other] if other else [f.id]
