"""What a filter tree, a sort or a filter formula names: the fields, with where they are named
(to check them against what a reader may filter and sort on)."""

from __future__ import annotations

from typing import Any

from cairn.formula import FormulaError, field_names, parse
from cairn.meta import Field
from cairn.query.formula import find_field
from cairn.store import Catalog, TableSchema


def formula_fields(
    cat: Catalog, s: TableSchema, text: str
) -> list[tuple[str, Field, Field | None]]:
    """The fields a filter formula names: (name, field of ``s``, field of the linked table
    for ``{relation.field}``). Names that do not resolve are left to the compiler."""
    try:
        names = field_names(parse(text))
    except FormulaError:
        return []
    out: list[tuple[str, Field, Field | None]] = []
    for name in names:
        head, _, tail = name.partition(".")
        f = find_field(s, head.strip())
        if f is None:
            continue
        target: Field | None = None
        if tail and f.reaches_rows:
            ts = cat.schemas.get(f.reached_table_id or 0)
            target = find_field(ts, tail.strip()) if ts is not None else None
        out.append((name, f, target))
    return out


def filter_formulas(tree: Any, loc: str) -> list[tuple[str, str]]:
    """Every ``{"formula": ...}`` node in a filter tree, with its location."""
    out: list[tuple[str, str]] = []
    if isinstance(tree, dict):
        if isinstance(tree.get("formula"), str):
            out.append((f"{loc}.formula", tree["formula"]))
        for k, v in tree.items():
            if isinstance(v, dict | list):
                out += filter_formulas(v, f"{loc}.{k}")
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            out += filter_formulas(v, f"{loc}.{i}")
    return out


def named_fields(tree: Any, loc: str) -> list[tuple[str, Any]]:
    """Every ``field`` named anywhere in a filter tree or sort list, with its location."""
    out: list[tuple[str, Any]] = []
    if isinstance(tree, dict):
        if "field" in tree:
            out.append((f"{loc}.field", tree["field"]))
        for k, v in tree.items():
            if isinstance(v, dict | list):
                out += named_fields(v, f"{loc}.{k}")
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            out += named_fields(v, f"{loc}.{i}")
    elif isinstance(tree, str) and loc == "sort":
        out += [(loc, k.strip().lstrip("-")) for k in tree.split(",")]
    return out
