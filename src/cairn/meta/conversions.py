"""A field's type conversion, value by value: old dump → new coerce, and what it reports. No
database: ``services/conversions.py`` reads and writes the values."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from cairn.core import Invalid, Message
from cairn.meta.fieldtypes import BadValue
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
        dv = dump(v)
        if isinstance(dv, list) and value_type not in ("choices",):
            dv = ", ".join(str(x) for x in dv)
        if isinstance(dv, bool) and value_type == "text":
            dv = "true" if dv else "false"
        try:
            converted.append({"rid": rid, "v": coerce(dv)})
        except BadValue as e:
            failures.append({"id": rid, "value": dv, "error": e.message.key})
    return converted, failures


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
