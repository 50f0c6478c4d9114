"""Form layouts: a table's sections and rows of fields, as users write them (field keys) and
as stored (field ids), and the layout forms show. No database: they read a table's definition.

A layout may carry linkage rules (``rules``, see ``form_rules``) and its sections a ``key`` the
rules show or hide them by; a table's own layout is its default form (form variants are more
layouts of the same table)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Protocol

from cairn.core import FieldErrors, Invalid, Message, key_problem
from cairn.formula.forms import form_functions
from cairn.meta.fieldtypes import FieldType
from cairn.meta.form_rules import check_rules, rules_public
from cairn.meta.model import Field, Table


class TableShape(Protocol):
    """What a layout reads of a table (the store's ``TableSchema`` is one): its definition and
    its live fields, in order, by id and by key."""

    table: Table
    fields: list[Field]
    by_id: dict[int, Field]
    by_key: dict[str, Field]
    types: dict[int, FieldType]


MAX_SECTIONS = 50
MAX_ROWS = 200
MAX_COLUMNS = 3
MAX_TITLE = 200


def layout_public(
    s: TableShape, hidden: Collection[int] = frozenset(), raw: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """The table's own layout (or ``raw``, a stored layout of the table: a form variant's) with
    field keys (None: it has none). A cell whose field is in the recycle bin shows empty, and a
    row left with no field is left out: restoring the field puts it back where it was. Fields
    of ``hidden`` are left out the same way, and so is a section that held only them. A
    section's ``key`` and the layout's ``rules`` are there when it has them."""
    raw = s.table.layout if raw is None else raw
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
        shown: dict[str, Any] = {}
        if sec.get("key"):
            shown["key"] = sec["key"]
        shown.update(
            {"title": sec.get("title") or "", "collapsed": bool(sec.get("collapsed")), "rows": rows}
        )
        sections.append(shown)
    out: dict[str, Any] = {"sections": sections}
    if raw.get("rules"):
        out["rules"] = rules_public(s, raw["rules"])
    return out


def layout_effective(
    s: TableShape, hidden: Collection[int] = frozenset(), raw: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The layout forms show: the table's own (or ``raw``'s; else one section of one field per
    row), with every field it does not place after it, one per row, so a new field is never
    hidden; without the fields of ``hidden``."""
    own = layout_public(s, hidden, raw)
    placed = {c for sec in (own or {}).get("sections", []) for row in sec["rows"] for c in row}
    rest = [[f.key] for f in s.fields if f.key not in placed and f.id not in hidden]
    if own is None:
        return {"sections": [{"title": "", "collapsed": False, "rows": rest}]}
    last = own["sections"][-1] if own["sections"] else None
    if last is not None and not last["title"] and not last["collapsed"] and not last.get("key"):
        last["rows"].extend(rest)  # an open section without a title: they simply continue it
    elif rest:
        own["sections"].append({"title": "", "collapsed": False, "rows": rest})
    return own


def check_layout(s: TableShape, raw: Any, loc: str = "") -> dict[str, Any] | None:
    """A layout as users write it (field keys) → as stored (field ids), or an Invalid naming
    each bad place: an unknown field, a field placed twice, a row of more than 3 columns, a
    section key used twice, a linkage rule that does not check (``rules.2.when``)."""
    pre = f"{loc}." if loc else ""
    if raw is None:
        return None
    sections = raw.get("sections", []) if isinstance(raw, dict) else None
    if (
        not isinstance(raw, dict)
        or set(raw) - {"sections", "rules"}
        or not isinstance(sections, list)
        or len(sections) > MAX_SECTIONS
    ):
        raise Invalid.on(loc or "layout", "table.layout_shape")
    if not sections and not raw.get("rules"):
        return None
    errors = FieldErrors()
    seen: set[int] = set()
    keys: set[str] = set()
    out = []
    for i, sec in enumerate(sections):
        sloc = f"{pre}sections.{i}"
        if not isinstance(sec, dict) or set(sec) - {"key", "title", "collapsed", "rows"}:
            errors.add(sloc, Message("table.layout_shape"))
            continue
        key = sec.get("key")
        if key is not None:
            problem = key_problem(key)
            if problem:
                errors.add(f"{sloc}.key", Message(problem, {"key": str(key)}))
            elif key in keys:
                errors.add(f"{sloc}.key", Message("form.section_key_taken", {"key": key}))
            else:
                keys.add(key)
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
        stored: dict[str, Any] = {"key": key} if isinstance(key, str) and key in keys else {}
        stored.update(
            {
                "title": title.strip() if isinstance(title, str) else "",
                "collapsed": collapsed is True,
                "rows": stored_rows,
            }
        )
        out.append(stored)
    rules: list[dict[str, Any]] = []
    try:
        rules = check_rules(s, raw.get("rules"), keys, form_functions(), loc)
    except Invalid as e:
        for where, messages in e.field_errors.items():
            for m in messages:
                errors.add(where, m)
    errors.raise_if_any()
    layout: dict[str, Any] = {"sections": out}
    if rules:
        layout["rules"] = rules
    return layout
