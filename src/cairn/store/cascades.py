"""Cascading choices on a write: a choice field with a ``parent`` (``cairn.query.datalink``)
takes only the options its ``cascade`` allows under the record's value of that parent, and
none while the parent is blank. Checked for every record whose write sets the field or its
parent (the other value as the record holds it); no query: the updated rows are read already."""

from __future__ import annotations

import json
from typing import Any

from cairn.core import FieldErrors, Message
from cairn.meta import Field
from cairn.store.catalog import TableSchema
from cairn.store.record_input import Prepared, prefix_of

#: The value types of choice fields: one option, several.
CHOICES = ("choice", "choices")


def cascading(s: TableSchema) -> list[tuple[Field, Field]]:
    """(child, parent) of each choice field of ``s`` whose options depend on a parent."""
    out = []
    for f in s.fields:
        pid = f.options.get("parent")
        if pid is None or s.type_of(f).value_type not in CHOICES:
            continue
        parent = s.by_id.get(pid)
        if parent is not None and parent.is_single_select:
            out.append((f, parent))
    return out


def check_cascades(
    s: TableSchema,
    items: list[Prepared],
    before: dict[int, Any],
    errors: FieldErrors,
    single: bool,
) -> None:
    """Refuse a child option its parent's value does not allow, at the child, naming the
    parent. ``before``: the updated records' rows as they are."""
    pairs = cascading(s)
    if not pairs:
        return
    for p in items:
        row = before.get(p.record_id) if p.record_id is not None else None
        for child, parent in pairs:
            if child.id not in p.columns and parent.id not in p.columns:
                continue
            value = _value(p, row, child)
            if not value:
                continue
            several = s.type_of(child).value_type == "choices"
            chosen = json.loads(value) if several else [value]
            parent_id = _value(p, row, parent)
            loc = prefix_of(single, p.index) + child.key
            if parent_id is None:
                errors.add(loc, Message("value.cascade_blank", {"parent": parent.name}))
                continue
            allowed = set((child.options.get("cascade") or {}).get(parent_id, ()))
            bad = [c for c in chosen if c not in allowed]
            if bad:
                names = {c["id"]: c["value"] for c in child.options.get("choices", [])}
                parents = {c["id"]: c["value"] for c in parent.options.get("choices", [])}
                params = {
                    "value": ", ".join(names.get(c, c) for c in bad),
                    "parent": parent.name,
                    "parent_value": parents.get(parent_id, parent_id),
                }
                errors.add(loc, Message("value.cascade", params))


def _value(p: Prepared, row: Any, f: Field) -> Any:
    """The field's value after the write: the write's, else the record's (none when new)."""
    if f.id in p.columns:
        return p.columns[f.id]
    return row._mapping[f.column_name] if row is not None else None
