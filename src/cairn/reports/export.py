"""Exports: a dataset, a pivot or a KPI as a table (headers + rows), written as CSV (UTF-8
with a BOM, so Excel reads Chinese) or XLSX (openpyxl, write-only).

Text that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` …) is kept as text:
CSV cells get a leading apostrophe, XLSX cells are typed as strings.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from cairn.reports.datasets import DatasetResult

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class Tabular:
    title: str
    headers: list[str]
    rows: list[list[Any]]


def from_dataset(title: str, r: DatasetResult) -> Tabular:
    headers = [d.label for d in r.dimensions] + [m.label for m in r.measures]
    rows = []
    for keys, labels, values in r.rows:
        shown = [lb if lb is not None else keys[i] for i, lb in enumerate(labels)]
        rows.append([*shown, *values])
    return Tabular(title, headers, rows)


def from_pivot(title: str, p: dict[str, Any]) -> Tabular:
    """Row headers down; one column per (column value, measure)."""
    measures = p["measures"]
    headers = [d["label"] for d in p["row_dimensions"]]
    for col in p["columns"]:
        name = " / ".join("" if x is None else str(x) for x in col["labels"])
        for m in measures:
            headers.append(f"{name} · {m['label']}" if len(measures) > 1 else name)
    rows = []
    for row, cells in zip(p["rows"], p["cells"], strict=True):
        line = list(row["labels"])
        for cell in cells:
            line.extend(cell if cell is not None else [None] * len(measures))
        rows.append(line)
    return Tabular(title, headers, rows)


def from_kpi(title: str, k: dict[str, Any]) -> Tabular:
    headers = ["", "value", "previous", "change"]
    prev = (k.get("previous") or {}).get("value")
    rows = [[k["kpi"], k.get("value"), prev, k.get("change")]]
    for g in k.get("groups") or []:
        rows.append([g["label"] if g["label"] is not None else g["key"], g["value"], None, None])
    for s in (k.get("values") or {}).get("stages") or []:
        rows.append([s.get("label"), s["count"], None, None])
    return Tabular(title, headers, rows)


def _csv_cell(v: Any) -> Any:
    if isinstance(v, str) and v.startswith(FORMULA_START):
        return "'" + v
    return "" if v is None else v


def to_csv(t: Tabular) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([_csv_cell(h) for h in t.headers])
    for row in t.rows:
        w.writerow([_csv_cell(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(t: Tabular, *more: Tabular) -> bytes:
    """``t`` as the first sheet of a workbook, and ``more`` as further sheets (titles made
    unique)."""
    # deferred: openpyxl costs ~150 ms at start-up and only xlsx exports use it
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    taken: set[str] = set()
    for sheet in (t, *more):
        title = (sheet.title or "report")[:31].translate(str.maketrans("[]:*?/\\", "_______"))
        base, n = title, 2
        while title.lower() in taken:
            suffix = f" ({n})"
            title, n = base[: 31 - len(suffix)] + suffix, n + 1
        taken.add(title.lower())
        ws = wb.create_sheet(title=title)

        def cell(v: Any, ws: Any = ws) -> Any:
            c = WriteOnlyCell(ws, value=v)
            if isinstance(v, str):
                c.data_type = "s"
            return c

        ws.append([cell(h) for h in sheet.headers])
        for row in sheet.rows:
            ws.append([cell(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def render(t: Tabular, fmt: str) -> bytes:
    return to_xlsx(t) if fmt == "xlsx" else to_csv(t)
