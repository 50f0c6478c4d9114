"""A table's validation rules as users write them (formula text, field keys) → as stored
(canonical formulas with field ids, and what each uses), each checked now as it will run."""

from __future__ import annotations

from typing import Any

from cairn.core import Clock, FieldErrors, Invalid, Message
from cairn.query.filters import FilterCompiler
from cairn.query.formula import canonical
from cairn.query.tree import FormulaNode
from cairn.store import Catalog, TableSchema

#: The most validation rules a table has.
MAX_RULES = 50


def check_validation_rules(
    cat: Catalog, s: TableSchema, raw: list[Any], clock: Clock
) -> list[dict[str, Any]]:
    """Formulas (TRUE: the record may be saved) with the message shown otherwise and,
    optionally, the field it shows at. Each must parse, name fields of the table (or through
    its relations) and give a boolean or a number. ``cat``: the catalog with the working
    calendar's days (WORKDAY in SQL)."""
    rules: list[dict[str, Any]] = []
    errors = FieldErrors()
    for i, item in enumerate(raw):
        loc = f"validation_rules.{i}"
        if not isinstance(item, dict) or set(item) - {"formula", "message", "field"}:
            errors.add(loc, Message("table.rules_shape"))
            continue
        message = item.get("message")
        if not isinstance(message, str) or not message.strip() or len(message) > 500:
            errors.add(f"{loc}.message", Message("table.rule_message"))
        text = item.get("formula")
        if not isinstance(text, str) or not text.strip() or len(text) > 2000:
            errors.add(f"{loc}.formula", Message("formula.empty", {"column": 1}))
            continue
        field_id = None
        if item.get("field") is not None:
            f = s.by_key.get(item["field"]) if isinstance(item["field"], str) else None
            if f is None:
                errors.add(f"{loc}.field", Message("field.unknown", {"key": item["field"]}))
                continue
            field_id = f.id
        try:
            stored, _formula, uses = canonical(cat, s, text, f"{loc}.formula")
            # Compiled once now as the check will be: type and SQL support are known.
            FilterCompiler(cat, s, clock).compile(FormulaNode(stored, f"{loc}.formula"))
        except Invalid as e:
            errors.merge("", e)
            continue
        rules.append(
            {
                "formula": stored,
                "message": message.strip() if isinstance(message, str) else "",
                "field": field_id,
                "uses": uses,
            }
        )
    errors.raise_if_any()
    return rules
