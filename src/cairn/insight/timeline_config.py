"""The timeline part of an app's customer view: which related records appear (a relation path
of one to three hops from the customer table, the date that places them, a one-line title
template and a label), which field changes are notable, and which system kinds show.

Stored inside the ``customer_view`` app setting as ``timeline``::

    {"sources": [{"path": ["vehicles", "repairs"], "date_field": "opened_on",
                  "title": "{order_no} · {status}", "label": "Repairs"}],
     "notable_fields": {"customers": ["level"], "repairs": ["status"]},
     "system": ["comments", "changes", "process", "messages", "interactions"]}
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cairn.core import Invalid, Message, NotFound
from cairn.store import Catalog, TableSchema

SYSTEM_KINDS = ("comments", "changes", "process", "messages", "interactions")
MAX_HOPS = 3
MAX_SOURCES = 20
MAX_TITLE = 200
MAX_LABEL = 100
#: Dates a source may be placed by besides its date and date-time fields.
SYSTEM_DATES = ("created_at", "updated_at")
#: System columns a title may show.
SYSTEM_TITLE_KEYS = ("id", "created_at", "updated_at")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
DEFAULT: dict[str, Any] = {"sources": [], "notable_fields": {}, "system": list(SYSTEM_KINDS)}


@dataclass(frozen=True)
class Source:
    """One configured source, resolved against a catalogue snapshot."""

    index: int
    #: The schemas along the path: the customer table first, the source table last.
    tables: tuple[TableSchema, ...]
    #: The relation fields of the path (one per hop).
    relations: tuple[Any, ...]
    date_field: Any  # a Field, or None: a system date column
    date_column: str
    title: str
    label: str

    @property
    def kind(self) -> str:
        return f"source:{self.index}"

    @property
    def target(self) -> TableSchema:
        return self.tables[-1]


def title_keys(title: str) -> list[str]:
    """The field keys a title template names, in order."""
    return [m.strip() for m in PLACEHOLDER.findall(title)]


def _date_ok(schema: TableSchema, key: Any) -> bool:
    if key is None or key in SYSTEM_DATES:
        return True
    f = schema.by_key.get(key) if isinstance(key, str) else None
    if f is None:
        return False
    ft = schema.types[f.id]
    return bool(ft.stored) and ft.value_type in ("date", "datetime")


def _title_ok(schema: TableSchema, key: str) -> bool:
    if key in SYSTEM_TITLE_KEYS:
        return True
    f = schema.by_key.get(key)
    return f is not None and bool(schema.types[f.id].stored) and not f.reaches_rows


def _walk(catalog: Catalog, start: TableSchema, path: list[Any]) -> tuple[list[Any], int | None]:
    """The schemas along ``path`` from ``start``; the index of the first bad hop or None."""
    tables = [start]
    for j, key in enumerate(path):
        f = tables[-1].by_key.get(key) if isinstance(key, str) else None
        if f is None or not f.is_relation:
            return tables, j
        try:
            tables.append(catalog.schema(int(f.options["target_table_id"])))
        except NotFound:
            return tables, j
    return tables, None


def checked(catalog: Catalog, customer: TableSchema, data: Any) -> dict[str, Any]:
    """The timeline config as stored, once every path, date field and title key is known
    (else ``Invalid`` with locations under ``timeline.``)."""
    if data is None:
        return {k: (list(v) if isinstance(v, list) else dict(v)) for k, v in DEFAULT.items()}
    if not isinstance(data, dict) or set(data) - {"sources", "notable_fields", "system"}:
        raise Invalid.on("timeline", "timeline.shape")
    sources = data.get("sources") or []
    notable = data.get("notable_fields") or {}
    system = data.get("system") if data.get("system") is not None else list(SYSTEM_KINDS)
    if (
        not isinstance(sources, list)
        or not isinstance(notable, dict)
        or not isinstance(system, list)
    ):
        raise Invalid.on("timeline", "timeline.shape")
    errors: dict[str, list[Message]] = {}

    def err(loc: str, message: str, **params: Any) -> None:
        errors.setdefault(f"timeline.{loc}", []).append(Message(message, params))

    if len(sources) > MAX_SOURCES:
        err("sources", "timeline.too_many", max=MAX_SOURCES)
    out_sources: list[dict[str, Any]] = []
    tables_in = {customer.table.key}
    for i, src in enumerate(sources[:MAX_SOURCES]):
        if not isinstance(src, dict) or set(src) - {"path", "date_field", "title", "label"}:
            err(f"sources.{i}", "timeline.source_shape")
            continue
        path = src.get("path")
        if not isinstance(path, list) or not 1 <= len(path) <= MAX_HOPS:
            err(f"sources.{i}.path", "timeline.path_length", max=MAX_HOPS)
            continue
        tables, bad = _walk(catalog, customer, path)
        if bad is not None:
            err(f"sources.{i}.path.{bad}", "timeline.path", key=str(path[bad]))
            continue
        target = tables[-1]
        tables_in.add(target.table.key)
        date_field = src.get("date_field")
        if not _date_ok(target, date_field):
            err(f"sources.{i}.date_field", "timeline.date_field", key=str(date_field))
        title = src.get("title") if src.get("title") is not None else ""
        if not isinstance(title, str) or len(title) > MAX_TITLE:
            err(f"sources.{i}.title", "value.too_long", max=MAX_TITLE)
            title = ""
        for key in title_keys(title):
            if not _title_ok(target, key):
                err(f"sources.{i}.title", "timeline.title_key", key=key)
        label = src.get("label") if src.get("label") is not None else ""
        if not isinstance(label, str) or len(label) > MAX_LABEL:
            err(f"sources.{i}.label", "value.too_long", max=MAX_LABEL)
            label = ""
        out_sources.append(
            {"path": list(path), "date_field": date_field, "title": title, "label": label}
        )
    out_notable: dict[str, list[str]] = {}
    for tkey, keys in notable.items():
        if tkey not in tables_in:
            err(f"notable_fields.{tkey}", "timeline.notable_table", key=str(tkey))
            continue
        schema = customer if tkey == customer.table.key else catalog.table(customer.app.key, tkey)
        if not isinstance(keys, list):
            err(f"notable_fields.{tkey}", "timeline.shape")
            continue
        for j, key in enumerate(keys):
            f = schema.by_key.get(key) if isinstance(key, str) else None
            if f is None or f.reaches_rows:
                err(f"notable_fields.{tkey}.{j}", "field.unknown", key=str(key))
        out_notable[tkey] = list(dict.fromkeys(keys))
    for j, kind in enumerate(system):
        if kind not in SYSTEM_KINDS:
            err(f"system.{j}", "timeline.system", kinds=", ".join(SYSTEM_KINDS))
    if errors:
        raise Invalid("invalid.input", errors)
    return {
        "sources": out_sources,
        "notable_fields": out_notable,
        "system": [k for k in SYSTEM_KINDS if k in system],
    }


def current(catalog: Catalog, customer: TableSchema, value: Any) -> dict[str, Any]:
    """The stored config less what was deleted since (a source whose path or date broke; a
    title key deleted since is shown as the fallback title; notable fields gone)."""
    if not isinstance(value, dict):
        return checked(catalog, customer, None)
    sources = []
    tables_in = {customer.table.key: customer}
    for src in value.get("sources", []):
        tables, bad = _walk(catalog, customer, src.get("path", []))
        if bad is not None or not _date_ok(tables[-1], src.get("date_field")):
            continue
        tables_in[tables[-1].table.key] = tables[-1]
        sources.append(dict(src))
    notable = {}
    for tkey, keys in value.get("notable_fields", {}).items():
        schema = tables_in.get(tkey)
        if schema is None:
            continue
        kept = [k for k in keys if (f := schema.by_key.get(k)) is not None and not f.reaches_rows]
        if kept:
            notable[tkey] = kept
    return {
        "sources": sources,
        "notable_fields": notable,
        "system": [k for k in value.get("system", SYSTEM_KINDS) if k in SYSTEM_KINDS],
    }


def resolve(catalog: Catalog, customer: TableSchema, value: dict[str, Any]) -> list[Source]:
    """The sources of a current config, resolved (the index is the source's place in it)."""
    out = []
    for i, src in enumerate(value.get("sources", [])):
        tables, bad = _walk(catalog, customer, src["path"])
        if bad is not None:
            continue
        rels = []
        for s, key in zip(tables, src["path"], strict=False):
            rels.append(s.by_key[key])
        target = tables[-1]
        dkey = src.get("date_field")
        f = target.by_key.get(dkey) if dkey and dkey not in SYSTEM_DATES else None
        column = f.column_name if f is not None else (dkey or "created_at")
        out.append(
            Source(
                i, tuple(tables), tuple(rels), f, column, src.get("title", ""), src.get("label", "")
            )
        )
    return out
