"""Form layouts: a table's sections and rows of fields, as users write them (field keys) and
as stored (field ids), and the layout forms show. No database: they read a table's definition."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Protocol

from cairn.core import FieldErrors, Invalid, Message
from cairn.meta.model import Field, Table


class TableShape(Protocol):
    """What a layout reads of a table (the store's ``TableSchema`` is one): its definition and
    its live fields, in order, by id and by key."""

    table: Table
    fields: list[Field]
    by_id: dict[int, Field]
    by_key: dict[str, Field]


MAX_SECTIONS = 50
MAX_ROWS = 200
MAX_COLUMNS = 3
MAX_TITLE = 200


def layout_public(s: TableShape, hidden: Collection[int] = frozenset()) -> dict[str, Any] | None:
    """The table's own layout with field keys (None: it has none). A cell whose field is in the
    recycle bin shows empty, and a row left with no field is left out: restoring the field puts
    it back where it was. Fields of ``hidden`` are left out the same way, and so is a section
    that held only them."""
    raw = s.table.layout
    if not raw:
        return None
    sections = []
    for sec in raw.get("sections") or []:
        rows = []
        hid = False
        for row in sec.get("rows") or []:
            cells = [s.by_id[c].key if c in s.by_id and c not in hidden else None for c in row]
            if any(c is not None for c in cells):
                rows.append(cells)
            elif any(c in hidden for c in row):
                hid = True
        if hid and not rows:
            continue
        sections.append(
            {"title": sec.get("title") or "", "collapsed": bool(sec.get("collapsed")), "rows": rows}
        )
    return {"sections": sections}


def layout_effective(s: TableShape, hidden: Collection[int] = frozenset()) -> dict[str, Any]:
    """The layout forms show: the table's own (or one section of one field per row), with every
    field it does not place after it, one per row, so a new field is never hidden; without the
    fields of ``hidden``."""
    own = layout_public(s, hidden)
    placed = {c for sec in (own or {}).get("sections", []) for row in sec["rows"] for c in row}
    rest = [[f.key] for f in s.fields if f.key not in placed and f.id not in hidden]
    if own is None:
        return {"sections": [{"title": "", "collapsed": False, "rows": rest}]}
    last = own["sections"][-1] if own["sections"] else None
    if last is not None and not last["title"] and not last["collapsed"]:
        last["rows"].extend(rest)  # an open section without a title: they simply continue it
    elif rest:
        own["sections"].append({"title": "", "collapsed": False, "rows": rest})
    return own


def check_layout(s: TableShape, raw: Any, loc: str = "") -> dict[str, Any] | None:
    """A layout as users write it (field keys) → as stored (field ids), or an Invalid naming
    each bad place: an unknown field, a field placed twice, a row of more than 3 columns."""
    pre = f"{loc}." if loc else ""
    if raw is None:
        return None
    sections = raw.get("sections") if isinstance(raw, dict) else None
    if (
        not isinstance(raw, dict)
        or set(raw) - {"sections"}
        or not isinstance(sections, list)
        or len(sections) > MAX_SECTIONS
    ):
        raise Invalid.on(loc or "layout", "table.layout_shape")
    if not sections:
        return None
    errors = FieldErrors()
    seen: set[int] = set()
    out = []
    for i, sec in enumerate(sections):
        sloc = f"{pre}sections.{i}"
        if not isinstance(sec, dict) or set(sec) - {"title", "collapsed", "rows"}:
            errors.add(sloc, Message("table.layout_shape"))
            continue
        title = sec.get("title") if sec.get("title") is not None else ""
        if not isinstance(title, str) or len(title) > MAX_TITLE:
            errors.add(f"{sloc}.title", Message("table.layout_title"))
        collapsed = sec.get("collapsed", False)
        if not isinstance(collapsed, bool):
            errors.add(f"{sloc}.collapsed", Message("value.boolean"))
        rows = sec.get("rows") if sec.get("rows") is not None else []
        if not isinstance(rows, list) or len(rows) > MAX_ROWS:
            errors.add(f"{sloc}.rows", Message("table.layout_shape"))
            continue
        stored_rows = []
        for j, row in enumerate(rows):
            rloc = f"{sloc}.rows.{j}"
            if not isinstance(row, list):
                errors.add(rloc, Message("table.layout_shape"))
                continue
            if not 1 <= len(row) <= MAX_COLUMNS:
                errors.add(rloc, Message("table.layout_columns", {"count": len(row)}))
                continue
            cells: list[int | None] = []
            for k, cell in enumerate(row):
                if cell is None:
                    cells.append(None)
                    continue
                f = s.by_key.get(cell) if isinstance(cell, str) else None
                if f is None:
                    errors.add(f"{rloc}.{k}", Message("field.unknown", {"key": str(cell)}))
                    continue
                if f.id in seen:
                    errors.add(f"{rloc}.{k}", Message("table.layout_duplicate", {"key": f.key}))
                    continue
                seen.add(f.id)
                cells.append(f.id)
            if all(c is None for c in row):
                errors.add(rloc, Message("table.layout_empty_row"))
            stored_rows.append(cells)
        out.append(
            {
                "title": title.strip() if isinstance(title, str) else "",
                "collapsed": collapsed is True,
                "rows": stored_rows,
            }
        )
    errors.raise_if_any()
    return {"sections": out}
