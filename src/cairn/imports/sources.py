"""Reading an uploaded file: its kind, its encoding, its header and its rows, streamed.

A CSV is decoded in the first encoding of ``ENCODINGS`` that reads its first 64 KiB (a
byte-order mark decides at once): UTF-8, then GB18030 (a superset of GBK and GB2312, what
Excel on a Chinese Windows writes). An XLSX is read by ``openpyxl`` in read-only mode, so a
1,000,000-row sheet streams in flat memory; a header of two rows whose upper row has merged
cells (``客户信息`` over ``姓名 | 手机``) is read as one header (``客户信息 / 姓名``).
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from cairn.core import Invalid

#: Tried in this order on the first bytes of a CSV without a byte-order mark.
ENCODINGS = ("utf-8", "gb18030")
#: How much of a CSV the encoding is decided on.
SNIFF_BYTES = 65536
#: The most columns a file may have (a sheet with stray cells far right is cut here).
MAX_COLUMNS = 500
#: The rows of a preview.
PREVIEW_ROWS = 20

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def kind_of(filename: str, head: bytes) -> str:
    """``xlsx`` for a zip (what an .xlsx is), ``csv`` for text; anything else is refused."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    name = filename.lower()
    if name.endswith((".xls",)) or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise Invalid.on("file", "import.xls")
    return "csv"


def detect_encoding(head: bytes) -> str:
    """The encoding of a CSV from its first bytes (``head``)."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    for name in ENCODINGS:
        try:
            codecs.getincrementaldecoder(name)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return name
    return "gb18030"


@dataclass
class Source:
    """An opened file: its header (one name per column) and its data rows, each a list of
    cells as long as the header (text for a CSV; text, numbers, dates for an XLSX)."""

    path: Path
    kind: str
    encoding: str | None = None
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    header_rows: int = 1
    header: list[str] = field(default_factory=list)
    #: An estimate of the data rows (lines of a CSV, the sheet's dimension): for "time left".
    total_estimate: int | None = None

    def rows(self) -> Iterator[list[Any]]:
        """The data rows after the header, each as long as the header; wholly empty rows are
        left out (they are counted: the row numbers stay the file's)."""
        width = len(self.header)
        for raw in self._raw():
            row = list(raw[:width])
            if len(row) < width:
                row.extend([None] * (width - len(row)))
            yield row

    def numbered(self) -> Iterator[tuple[int, list[Any]]]:
        """(row number as a spreadsheet shows it, cells) for each non-empty data row."""
        n = self.header_rows
        for row in self.rows():
            n += 1
            if any(c is not None and c != "" for c in row):
                yield n, row

    def preview(self, limit: int = PREVIEW_ROWS) -> list[list[Any]]:
        out: list[list[Any]] = []
        for _, row in self.numbered():
            out.append([preview_cell(c) for c in row])
            if len(out) >= limit:
                break
        return out

    # -- reading ----------------------------------------------------------------------------
    def _raw(self) -> Iterator[list[Any]]:
        it = self._all_rows()
        for _ in range(self.header_rows):
            next(it, None)
        yield from it

    def _all_rows(self) -> Iterator[list[Any]]:
        if self.kind == "csv":
            with self.path.open("r", encoding=self.encoding, newline="", errors="replace") as fh:
                yield from csv.reader(fh)
            return
        wb = _workbook(self.path)
        try:
            ws = wb[self.sheet] if self.sheet else wb.worksheets[0]
            for row in ws.iter_rows(values_only=True):
                yield list(row[:MAX_COLUMNS])
        finally:
            wb.close()


def open_source(
    path: Path, kind: str, *, sheet: str | None = None, header_rows: int | None = None
) -> Source:
    """``path`` opened as ``kind``; ``sheet`` (XLSX) by name, else the first;
    ``header_rows`` (1 or 2) when known, else decided from the first rows."""
    src = Source(path, kind)
    if kind == "csv":
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
        src.encoding = detect_encoding(head)
        src.total_estimate = _count_lines(path)
    else:
        wb = _workbook(path)
        try:
            src.sheets = list(wb.sheetnames)
            if sheet is not None and sheet not in src.sheets:
                raise Invalid.on("sheet", "import.sheet", sheet=sheet)
            src.sheet = sheet or src.sheets[0]
            ws = wb[src.sheet]
            dims = ws.max_row if ws.max_row and ws.max_row > 1 else None
            src.total_estimate = dims
        finally:
            wb.close()
    top = []
    for row in src._all_rows():
        top.append(row[:MAX_COLUMNS])
        if len(top) >= 2:
            break
    if not top:
        raise Invalid.on("file", "import.empty")
    if header_rows not in (1, 2):
        header_rows = 2 if len(top) == 2 and _two_row_header(top[0], top[1]) else 1
    src.header_rows = header_rows
    src.header = combine_header(top[:header_rows])
    if not src.header:
        raise Invalid.on("file", "import.empty")
    if src.total_estimate is not None:
        src.total_estimate = max(0, src.total_estimate - header_rows)
    return src


def combine_header(rows: list[list[Any]]) -> list[str]:
    """One name per column from one or two header rows. In an upper row an empty cell
    right of a filled one belongs to it (a merged cell reads as its first cell and empty
    ones); a column with an empty lower cell takes the upper name (merged downwards). The
    width is up to the last named column; an unnamed column inside gets ``列N`` (its
    letter-free number) so it can still be mapped or skipped."""
    texts = [[_text(c) for c in r] for r in rows]
    width = max((i + 1 for r in texts for i, c in enumerate(r) if c), default=0)
    for r in texts:
        r.extend([""] * (width - len(r)))
    if len(texts) == 1:
        names = texts[0][:width]
    else:
        upper, lower = texts[0][:width], texts[1][:width]
        filled: list[str] = []
        last = ""
        for c in upper:
            last = c or last
            filled.append(last)
        names = [
            f"{up} / {low}" if up and low else (low or up)
            for up, low in zip(filled, lower, strict=True)
        ]
    return [n or f"列{i + 1}" for i, n in enumerate(names)]


def _two_row_header(first: list[Any], second: list[Any]) -> bool:
    """A first row with a gap right of a name (a merged group) over a second row of text
    filling that gap: a header of two rows."""
    up = [_text(c) for c in first]
    low = [_text(c) for c in second]
    width = max(len(up), len(low))
    up.extend([""] * (width - len(up)))
    low.extend([""] * (width - len(low)))
    gaps = [i for i in range(1, width) if up[i] == "" and any(up[:i]) and low[i]]
    if not gaps:
        return False
    return all(isinstance(c, str) or c is None for c in second) and all(low[i] for i in gaps)


def _text(v: Any) -> str:
    if v is None:
        return ""
    return str(v).strip()


def preview_cell(v: Any) -> Any:
    """A cell as JSON shows it."""
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, date | time):
        return v.isoformat()
    return v


def _workbook(path: Path) -> Any:
    # deferred: openpyxl costs ~150 ms at start-up and only XLSX imports read with it
    from openpyxl import load_workbook

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        raise Invalid.on("file", "import.unreadable", detail=str(e)[:200]) from None


def _count_lines(path: Path) -> int:
    """Newlines in the file (a quoted cell with a line break counts twice: an estimate)."""
    n = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            n += chunk.count(b"\n")
    return n
