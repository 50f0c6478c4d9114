"""A record as the API shows it, as the Python back end of formulas reads it.

``CatalogResolver`` names a field ``#<id>`` and reads ``{sub-form.column}`` through the
sub-form's rows (as through a to-many relation); ``record_of`` gives the evaluator the same
names over a record's JSON values (by key, a sub-form's rows a list of such), so a formula
evaluated in Python over a record agrees with the SQL that computes it (linkage, process
conditions). Linked records of a relation are not in a record's JSON (only their ids): a
formula reading through a relation sees none there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cairn.formula import ERRORS, DictRecord
from cairn.store import Catalog, TableSchema


def record_of(catalog: Catalog, schema: TableSchema, values: Mapping[str, Any]) -> DictRecord:
    """``values`` (a record's JSON by field key) by the names formulas use: ``#<field id>``;
    a sub-form's rows as its linked records. A formula's error text (``#DIV/0!``) reads as
    blank, as SQL reads a formula column's value."""
    own: dict[str, Any] = {}
    links: dict[str, list[DictRecord]] = {}
    for f in schema.fields:
        if f.key not in values:
            continue
        v = values[f.key]
        if f.is_subform:
            child = schema.subforms.get(f.id)
            rows = v if isinstance(v, list) else []
            if child is not None:
                links[f"#{f.id}"] = [
                    record_of(catalog, child, r) for r in rows if isinstance(r, Mapping)
                ]
        elif f.is_relation:
            continue
        elif f.is_formula and isinstance(v, str) and v in ERRORS:
            own[f"#{f.id}"] = None
        else:
            own[f"#{f.id}"] = v
    return DictRecord(own, links)
