"""A field's type conversion, value by value: old dump → new coerce, and what it reports; and
which field may fill which (a relation's ``fill``: the same dump → coerce, one record at a
time). No database: ``services/conversions.py`` reads and writes the values."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from cairn.core import Invalid, Message
from cairn.meta.fieldtypes import BadValue, FieldType
from cairn.meta.model import Field

#: The types whose choices a conversion derives from the values when none are given.
SELECTS = ("single_select", "multi_select")


def seen_choices(rows: list[tuple[int, Any]], dump: Callable[[Any], Any]) -> list[dict[str, Any]]:
    """The choices of a select made of the distinct values (the first 500)."""
    seen: list[str] = []
    for _, v in rows:
        dv = dump(v)
        for item in dv if isinstance(dv, list) else [dv]:
            if str(item) not in seen:
                seen.append(str(item))
    return [{"value": v} for v in seen[:500]]


def convert_values(
    rows: list[tuple[int, Any]],
    dump: Callable[[Any], Any],
    coerce: Callable[[Any], Any],
    value_type: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(converted ``{"rid", "v"}``, failures ``{"id", "value", "error"}``) of ``rows``."""
    converted: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for rid, v in rows:
        dv = carried(dump(v), value_type)
        try:
            converted.append({"rid": rid, "v": coerce(dv)})
        except BadValue as e:
            failures.append({"id": rid, "value": dv, "error": e.message.key})
    return converted, failures


def carried(dv: Any, value_type: str) -> Any:
    """A dumped value as input for a field holding ``value_type``: a list becomes text joined
    with commas (unless the field holds several choices), a boolean ``true``/``false`` text."""
    if isinstance(dv, list) and value_type not in ("choices",):
        return ", ".join(str(x) for x in dv)
    if isinstance(dv, bool) and value_type == "text":
        return "true" if dv else "false"
    return dv


def copyable(t: FieldType) -> bool:
    """May a field of type ``t`` be copied from or into (a relation's fill)? A stored value,
    not a file (a file belongs to the one record holding it): no relation, no computed value."""
    return t.stored and t.references != "file"


def fill_compatible(source: FieldType, target: FieldType) -> bool:
    """May a value of a ``source`` field fill a ``target`` field (dump → carried → coerce)? The
    same type, or one a conversion could change it to within its value family or into text;
    the target written by users (no auto number)."""
    if not copyable(source) or not copyable(target) or not target.writable or target.sequenced:
        return False
    if source.key == target.key:
        return True
    if source.value_type in ("user", "json"):
        return False  # a user's id or a location's object is no text, number or choice
    # Within a family (a number into a currency, a phone into a text), or anything as text:
    # a text into a number converts some values only, and would refuse the record's write.
    same = source.value_type == target.value_type or target.value_type == "text"
    return same and target.convertible_from(source)


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
