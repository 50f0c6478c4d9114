"""Which field each column fills: suggested from the header, checked when the user sends it.

A column is matched, in this order, by a saved mapping of the table (its header as saved),
by the field's key, by the field's name, then by the last part of a two-row header
(``客户信息 / 姓名`` → ``姓名``); names are compared folded (case, width, spaces and
punctuation ignored, ``values.fold``). A field is suggested for one column at most.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cairn.core import FieldErrors, Invalid, Message
from cairn.imports.values import fold
from cairn.meta import Field

#: English and Chinese names of the system columns a file may carry (never written).
SYSTEM_NAMES = frozenset(
    fold(n) for n in ("id", "创建时间", "更新时间", "created_at", "updated_at")
)


def importable(fields: Sequence[Field], writable: Mapping[int, bool]) -> list[Field]:
    """The fields a column may fill: stored, written by the API, not a file (a sub-form's
    rows come from its column's JSON text or its sheet: ``imports.subforms``)."""
    return [f for f in fields if writable.get(f.id, False) and not f.holds_files]


def suggest(
    header: Sequence[str], fields: Sequence[Field], saved: Mapping[str, str | None] | None = None
) -> list[str | None]:
    """A field key (or None: skip) per column."""
    by_key = {f.key: f for f in fields}
    names: dict[str, str] = {}
    for f in fields:
        names.setdefault(fold(f.key), f.key)
    for f in fields:
        names.setdefault(fold(f.name), f.key)
    saved_folded = {fold(h): k for h, k in (saved or {}).items()}
    out: list[str | None] = []
    taken: set[str] = set()
    for h in header:
        key = _match(h, names, saved_folded, by_key)
        if key is not None and key in taken:
            key = None
        if key is not None:
            taken.add(key)
        out.append(key)
    return out


def _match(
    header: str,
    names: dict[str, str],
    saved: dict[str, str | None],
    by_key: Mapping[str, Field],
) -> str | None:
    h = fold(header)
    if h in saved:
        k = saved[h]
        return k if k in by_key else None
    if h in SYSTEM_NAMES:
        return None
    if h in names:
        return names[h]
    if " / " in header:
        last = fold(header.rsplit(" / ", 1)[1])
        return names.get(last)
    return None


def check(mapping: Any, header: Sequence[str], fields: Sequence[Field]) -> list[str | None]:
    """The user's mapping (a field key or null per column, or header → key) as a list per
    column; an unknown or repeated field, or a length that is not the header's, is refused."""
    if isinstance(mapping, dict):
        mapping = [mapping.get(h) for h in header]
    if not isinstance(mapping, list) or len(mapping) != len(header):
        raise Invalid.on("mapping", "import.mapping_shape", columns=len(header))
    known = {f.key for f in fields}
    errors = FieldErrors()
    seen: set[str] = set()
    out: list[str | None] = []
    for i, k in enumerate(mapping):
        if k in (None, ""):
            out.append(None)
            continue
        if not isinstance(k, str) or k not in known:
            errors.add(f"mapping.{i}", Message("import.mapping_field", {"field": str(k)[:100]}))
        elif k in seen:
            errors.add(f"mapping.{i}", Message("import.mapping_twice", {"field": k}))
        seen.add(str(k))
        out.append(k if isinstance(k, str) else None)
    errors.raise_if_any()
    if not seen:
        raise Invalid.on("mapping", "import.mapping_empty")
    return out


def as_saved(header: Sequence[str], mapping: Sequence[str | None]) -> dict[str, str | None]:
    """A mapping to save: header → field key (or None), so next month's file with its
    columns in another order maps the same."""
    return {h: k for h, k in zip(header, mapping, strict=True)}
