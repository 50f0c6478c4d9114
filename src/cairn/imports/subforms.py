"""Sub-form rows read with their parent row, the way the export writes them (issue 19).

A CSV holds a sub-form's rows in the sub-form's column as JSON text: a list of
``{column key: value}`` (names are taken too). An XLSX export has a sheet per sub-form,
named after it, whose rows name their parent by the first sheet's ``ID`` column (the
parent record's id *in the file*: a join between the sheets, never the id written), then
the row's number, then the columns; the sub-form's own column there holds the row count.

Each sub-form row is read like a record row (``rows.RowBuilder`` over the sub-form's
columns: the import-friendly forms, users and related records by name), and a row it
refuses refuses the parent row with the sub-form, the row and the column named. The rows
read replace the record's rows (an update: the rows not in the file are removed); an
empty cell is no rows (the export writes an empty list so), and a record keeps its rows
only when the column is skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cairn.core import Message
from cairn.imports.mapping import suggest
from cairn.imports.values import as_text, fold, is_empty
from cairn.meta import Field

#: The characters an XLSX sheet title may not hold (``reports.export.to_xlsx`` replaces them).
_TITLE_BAD = str.maketrans("[]:*?/\\", "_______")
#: What the first sheet's id column is called (any language: folded).
ID_NAMES = frozenset({"id"})


def sheet_title(f: Field) -> str:
    """The title the export gives the sheet of sub-form ``f``."""
    return (f.name or "report")[:31].translate(_TITLE_BAD)


def sheet_of(f: Field, sheets: Sequence[str], main: str | None) -> str | None:
    """The sheet of the workbook that holds ``f``'s rows (its name, or its key), not the
    sheet being imported."""
    wanted = {fold(sheet_title(f)), fold(f.key)}
    for title in sheets:
        if title != main and fold(title) in wanted:
            return title
    return None


def id_column(header: Sequence[str]) -> int | None:
    """The first sheet's column that names the record (what a sub-form sheet refers to)."""
    for i, h in enumerate(header):
        if fold(h) in ID_NAMES:
            return i
    return None


@dataclass
class SubformSource:
    """Where one sub-form column's rows come from, and its columns as the import fills them
    (``columns``: the sub-form's importable fields, in this order in each row's cells)."""

    field: Field
    columns: list[Field]
    #: The value type of each column's field (field id → ``FieldType.value_type``).
    types: dict[int, str]
    #: XLSX: the sheet's rows by parent reference (each row's cells in ``columns`` order).
    sheet: dict[str, list[list[Any]]] | None = None
    #: XLSX: the first sheet's column holding the parent reference.
    ref_index: int | None = None
    by_name: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for f in self.columns:
            self.by_name.setdefault(fold(f.key), f.key)
        for f in self.columns:
            self.by_name.setdefault(fold(f.name), f.key)

    def rows_of(self, cell: Any, cells: Sequence[Any]) -> list[list[Any]] | Message:
        """The rows of one parent row (each as cells in ``columns`` order), or a ``Message``:
        why the cell is unreadable."""
        if self.sheet is not None and self.ref_index is not None:
            ref = as_text(cells[self.ref_index])
            found = self.sheet.get(ref) if isinstance(ref, str) and ref else None
            return found if found is not None else []
        if is_empty(cell):
            return []
        return self._json(cell)

    def _json(self, cell: Any) -> list[list[Any]] | Message:
        try:
            value = json.loads(str(cell))
        except ValueError:
            return Message("import.subform_json", {})
        if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
            return Message("import.subform_json", {})
        keys = [f.key for f in self.columns]
        out: list[list[Any]] = []
        for r in value:
            row: dict[str, Any] = {}
            for k, v in r.items():
                key = self.by_name.get(fold(str(k)))
                if key is not None:
                    row[key] = _cell(v)
            out.append([row.get(k) for k in keys])
        return out


def read_sheet(
    header: Sequence[str], rows: Iterable[list[Any]], columns: Sequence[Field]
) -> dict[str, list[list[Any]]]:
    """A sub-form sheet (parent reference, row number, then columns named as the export
    names them) as its rows per parent reference, in their row-number order."""
    mapped = suggest(list(header[2:]), list(columns))
    where = {k: i + 2 for i, k in enumerate(mapped) if k is not None}
    keys = [f.key for f in columns]
    numbered: dict[str, list[tuple[float, int, list[Any]]]] = {}
    for n, cells in enumerate(rows):
        ref = as_text(cells[0]) if cells else None
        if not isinstance(ref, str) or not ref:
            continue
        pos = _number(cells[1] if len(cells) > 1 else None, n)
        row = [cells[where[k]] if k in where and where[k] < len(cells) else None for k in keys]
        numbered.setdefault(ref, []).append((pos, n, row))
    return {ref: [r for _, _, r in sorted(rs, key=lambda x: x[:2])] for ref, rs in numbered.items()}


def _number(v: Any, default: int) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float(default)


def _cell(v: Any) -> Any:
    """A JSON value as a cell: a list (several linked records, options) as the text a
    spreadsheet cell would hold."""
    if isinstance(v, list):
        return ", ".join(str(x) for x in v if x is not None)
    return v
