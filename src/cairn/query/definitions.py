"""Definitions as users read and write them: tables, fields, options and validation rules
with keys of tables and fields where they are stored with ids."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from cairn.meta import App, Field, Table
from cairn.meta.layouts import layout_effective, layout_public
from cairn.meta.live_formulas import live_formulas
from cairn.query.datalink import datalink_public
from cairn.query.formula import shown_text
from cairn.store import Catalog, TableSchema


def app_public(app: App, tables: list[Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": app.id,
        "key": app.key,
        "name": app.name,
        "description": app.description,
        "position": app.position,
    }
    if tables is not None:
        out["tables"] = tables
    return out


def field_public(catalog: Catalog, f: Field) -> dict[str, Any]:
    return {
        "id": f.id,
        "key": f.key,
        "name": f.name,
        "type": f.type,
        "options": options_public(catalog, f),
        "required": f.required,
        "unique": f.unique,
        "default": f.default,
        "help_text": f.help_text,
        "position": f.position,
    }


def options_public(catalog: Catalog, f: Field) -> dict[str, Any]:
    """Options with ids of tables and fields shown as keys (what users and packages write)."""
    o = dict(f.options)
    if f.is_relation:
        target = catalog.all_tables.get(o.pop("target_table_id"))
        o["target_table"] = target.key if target else None
        rev_id = o.pop("reverse_field_id", None) or o.get("reverse_of")
        o.pop("reverse_of", None)
        rev = catalog.all_fields.get(rev_id) if rev_id else None
        o["reverse_field"] = rev.key if rev else None
        o["owner"] = not f.options.get("reverse_of")
    elif f.is_formula:
        schema = catalog.schemas.get(f.table_id)
        if schema is not None:
            o["formula"] = shown_text(catalog, schema, o.get("formula", ""))
        o.pop("uses", None)
    elif f.is_subform:
        rows = catalog.all_tables.get(o.pop("table_id", None) or 0)
        o["table"] = rows.key if rows else None
    elif f.reads_through_relation:
        rel = catalog.all_fields.get(o.pop("relation_field_id"))
        o["relation"] = rel.key if rel else None
        tid = o.pop("target_field_id", None)
        tf = catalog.all_fields.get(tid) if tid else None
        o["field"] = tf.key if tf else None
    datalink_public(catalog, f, o)
    return o


def deleted_table_public(t: Table) -> dict[str, Any]:
    """A table in the recycle bin."""
    deleted_at = t.deleted_at.isoformat() if t.deleted_at else None
    return {"id": t.id, "key": t.key, "name": t.name, "deleted_at": deleted_at}


def deleted_field_public(catalog: Catalog, s: TableSchema, f: Field) -> dict[str, Any]:
    """A field of ``s`` in the recycle bin."""
    deleted_at = f.deleted_at.isoformat() if f.deleted_at else None
    return {**field_public(catalog, f), "table": s.table.key, "deleted_at": deleted_at}


def table_public(
    catalog: Catalog,
    s: TableSchema,
    with_fields: bool = True,
    hidden: Collection[int] = frozenset(),
) -> dict[str, Any]:
    """A table's definition; ``hidden``: ids of fields left out of it (its fields, display
    field, layout and validation rules), as ``unlisted`` gives them for a member."""
    display = s.display_field
    out: dict[str, Any] = {
        "id": s.table.id,
        "key": s.table.key,
        "name": s.table.name,
        "description": s.table.description,
        "display_field": display.key if display and display.id not in hidden else None,
        "position": s.table.position,
    }
    out["validation_rules"] = rules_public(catalog, s, hidden)
    out["layout"] = layout_effective(s, hidden)
    parent = parent_public(s)
    if parent is not None:
        out["parent"] = parent
    if with_fields:
        out["fields"] = [field_public(catalog, f) for f in s.fields if f.id not in hidden]
        if parent is not None:
            out["live_formulas"] = live_formulas_of(s, hidden)
    return out


def live_formulas_of(s: TableSchema, hidden: Collection[int]) -> dict[str, Any]:
    """The formula columns of a sub-form's rows the browser computes as the user types
    (``cairn.meta.live_formulas``), worked out once per schema and reader's hidden fields."""
    key = ("live_formulas", frozenset(hidden))
    got = s.memo.get(key)
    if got is None:
        got = s.memo[key] = live_formulas(s, hidden)
    return got


def parent_public(s: TableSchema) -> dict[str, str] | None:
    """For the table of a sub-form's rows: the table and field whose rows it holds."""
    if s.parent is None or s.parent_field is None:
        return None
    return {"table": s.parent.table.key, "field": s.parent_field.key}


def rules_public(
    catalog: Catalog, s: TableSchema, hidden: Collection[int] = frozenset()
) -> list[dict[str, Any]]:
    """A table's validation rules as users write them (field keys, not ids), but those that
    name a field of ``hidden``."""
    out = []
    for r in s.table.validation_rules or []:
        if hidden and (r.get("field") in hidden or any(u in hidden for u in r.get("uses", ()))):
            continue
        f = s.by_id.get(r.get("field") or 0)
        item = {"formula": shown_text(catalog, s, r["formula"]), "message": r["message"]}
        if f is not None:
            item["field"] = f.key
        out.append(item)
    return out


def table_package(cat: Catalog, s: TableSchema) -> dict[str, Any]:
    """A table as an app package holds it (``meta/packages.py``): keys, no ids."""
    fields = []
    for f in s.fields:
        pub = field_public(cat, f)
        for k in ("id", "position"):
            pub.pop(k)
        fields.append(pub)
    item = {
        "key": s.table.key,
        "name": s.table.name,
        "description": s.table.description,
        "display_field": s.display_field.key if s.display_field else None,
        "fields": fields,
    }
    parent = parent_public(s)
    if parent is not None:
        item["parent"] = parent
    rules = rules_public(cat, s)
    if rules:
        item["validation_rules"] = rules
    layout = layout_public(s)
    if layout is not None:
        item["layout"] = layout
    return item
