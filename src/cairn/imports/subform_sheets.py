"""The sub-form columns of an import job (``subforms``): each one's importable columns, and,
for an XLSX file, the rows of the sub-form's own sheet (read once per job and kept by parent
reference); and the sheets of an upload the wizard shows as recognised."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from cairn.imports.rows import Column
from cairn.imports.sources import open_source
from cairn.imports.subforms import SubformSource, id_column, read_sheet, sheet_of
from cairn.meta import Field
from cairn.store import TableSchema

#: Sheet title → the sub-form's rows by parent reference.
Sheets = dict[str, dict[str, list[list[Any]]]]


def attach(
    s: TableSchema,
    cols: list[Column],
    source: dict[str, Any],
    path: str,
    fields_of: Callable[[TableSchema], list[Field]],
    sheets: Sheets | None = None,
) -> None:
    """Give each sub-form column of ``cols`` its ``SubformSource`` over the sub-form's
    fields ``fields_of`` lets the user fill; ``sheets`` caches the sub-form sheets read
    across calls of one job."""
    for col in cols:
        if not col.field.is_subform:
            continue
        child = s.subforms.get(col.field.id)
        if child is None:
            continue
        fields = list(fields_of(child))
        types = {f.id: child.type_of(f).value_type for f in fields}
        col.sub = SubformSource(col.field, fields, types)
        if source.get("kind") != "xlsx":
            continue
        title = sheet_of(col.field, source.get("sheets") or [], source.get("sheet"))
        ref = id_column(source.get("header") or [])
        if title is None or ref is None:
            continue
        cache = sheets if sheets is not None else {}
        if title not in cache:
            cache[title] = _read(Path(path), title, fields)
        col.sub.sheet, col.sub.ref_index = cache[title], ref


def _read(path: Path, title: str, fields: list[Any]) -> dict[str, list[list[Any]]]:
    src = open_source(path, "xlsx", sheet=title, header_rows=1)
    return read_sheet(src.header, src.rows(), fields)


def recognised(s: TableSchema, source: dict[str, Any]) -> list[dict[str, str]]:
    """The sheets of an XLSX upload that hold a sub-form's rows (what the wizard shows)."""
    if source.get("kind") != "xlsx" or id_column(source.get("header") or []) is None:
        return []
    out = []
    for f in s.fields:
        if f.is_subform:
            title = sheet_of(f, source.get("sheets") or [], source.get("sheet"))
            if title is not None:
                out.append({"sheet": title, "field": f.key})
    return out
