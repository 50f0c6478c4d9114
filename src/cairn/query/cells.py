"""Records as an export writes them: its columns and header, linked records and users by
name, values as CSV or spreadsheet cells (text a spreadsheet would run as a formula stays
text), and the filter as the audit log keeps it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from cairn.core import Message, is_id
from cairn.core.i18n import render
from cairn.meta import Field
from cairn.meta.values import listed
from cairn.store import Catalog, TableSchema
from cairn.store.sensitive import sealed

#: The system columns a record carries besides its fields: an export has them when asked.
EXPORT_SYSTEM_COLUMNS = ("id", "version", "created_at", "updated_at")


def export_columns(
    s: TableSchema, visible: Sequence[Field], fields: Sequence[str] | None, language: str
) -> tuple[list[str], list[str]]:
    """The keys of an export's columns and their header labels: ``fields`` in their order
    (each once) among the ``visible`` ones and the system columns, or every visible field."""
    if fields is None:
        keys = [f.key for f in visible]
    else:
        readable = {f.key for f in visible}
        keys = list(dict.fromkeys(k for k in fields if k in EXPORT_SYSTEM_COLUMNS or k in readable))
    labels = [
        render(Message(f"column.{k}"), language) if k in EXPORT_SYSTEM_COLUMNS else s.by_key[k].name
        for k in keys
    ]
    return keys, labels


def name_values(items: list[dict[str, Any]], key: str, names: dict[int, Any], unknown: str) -> None:
    """Replace the ids in column ``key`` of ``items`` by their ``names``, in place; an id
    without one is dropped (``unknown=""``) or shown as ``#id`` (``unknown="#"``); a masked
    value stays as it is."""
    for it in items:
        v = it.get(key)
        if unknown:
            shown = [names.get(i, f"#{i}") if is_id(i) else i for i in listed(v)]
        else:
            shown = [names.get(i) if is_id(i) else i for i in listed(v)]
            shown = [x for x in shown if x is not None]
        it[key] = shown if isinstance(v, list) else (shown[0] if shown else None)


def holds_users(cat: Catalog, f: Field) -> bool:
    """Does ``f`` hold user ids: a user field, or a lookup of one?"""
    if f.is_lookup:
        target = cat.all_fields.get(f.options.get("target_field_id") or 0)
        return target is not None and target.holds_user
    return f.holds_user


def redact(s: TableSchema, tree: Any) -> Any:
    """A filter as the audit log keeps it: values compared with sensitive fields are ``****``."""
    if not s.sealers:
        return tree
    keys = {s.by_id[fid].key for fid in s.sealers}
    if isinstance(tree, list):
        return [redact(s, x) for x in tree]
    if not isinstance(tree, dict):
        return tree
    out = {k: redact(s, v) for k, v in tree.items()}
    if tree.get("field") in keys and "value" in tree:
        out["value"] = sealed(tree["value"])
    return out


def xlsx_cell(v: Any) -> Any:
    """A value as one spreadsheet cell (lists joined, relations by name); strings are written
    as text cells, so no formula runs."""
    if isinstance(v, list):
        return ";".join(str(xlsx_cell(x)) for x in v)
    if isinstance(v, dict):
        return v.get("name") or v.get("id") or json.dumps(v, ensure_ascii=False)
    return v


def csv_cell(v: Any) -> Any:
    """A value as one CSV cell; text a spreadsheet would run as a formula is quoted as text."""
    if v is None:
        return ""
    if isinstance(v, list):
        return ";".join(str(csv_cell(x)) for x in v)
    if isinstance(v, dict):
        return v.get("name") or v.get("id") or json.dumps(v, ensure_ascii=False)
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@"):
        # A spreadsheet would run it as a formula (CSV injection): quote it as text.
        return "'" + v
    return v
