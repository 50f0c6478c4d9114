"""A batch of file rows as record items, and why a row is refused.

Each mapped column reads its cell in the import-friendly way (``values.friendly``), users
and related records are looked up by name once per batch (a name that names no one or
several refuses the row here). The values are checked once, by the bulk write's field
coercers (``RecordWrites.bulk_in``): a row they refuse is refused with the field and the
rule named, and the rest of the batch goes on. An empty cell writes nothing (an update keeps
the value).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cairn.core import Message
from cairn.core.i18n import render
from cairn.imports.ports import Lookups
from cairn.imports.values import as_text, fold, friendly, is_empty
from cairn.meta import Field

_SPLIT = re.compile(r"[,，;；、\n]")


@dataclass
class Column:
    index: int
    field: Field
    read: Callable[[Any], Any]
    #: "plain", "user" (named users) or "relation" (named related records)
    kind: str = "plain"


@dataclass(slots=True)
class Built:
    """One row of the file as an item to write (field key → value)."""

    row_no: int
    cells: list[Any]
    item: dict[str, Any] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    #: The key field's value as stored (upsert and update match on it).
    key: Any = None


def columns(
    mapping: Sequence[str | None],
    by_key: dict[str, Field],
    value_types: dict[int, str],
) -> list[Column]:
    out = []
    for i, key in enumerate(mapping):
        if key is None:
            continue
        f = by_key[key]
        kind = "user" if f.holds_user else "relation" if f.is_relation else "plain"
        out.append(Column(i, f, friendly(f, value_types[f.id]), kind))
    return out


class RowBuilder:
    def __init__(self, cols: list[Column], lookups: Lookups, language: str) -> None:
        self.cols = cols
        self.lookups = lookups
        self.language = language

    def reason(self, f: Field, message: Message) -> str:
        return f"{f.name}: {render(message, self.language)}"

    def build(self, rows: Sequence[tuple[int, list[Any]]]) -> list[Built]:
        """Every row as an item; a row with ``reasons`` is refused."""
        built = [Built(n, cells) for n, cells in rows]
        for col in self.cols:
            if col.kind == "user":
                self._named(built, col, self.lookups.users, "import.user_unknown")
            elif col.kind == "relation":
                self._named(
                    built,
                    col,
                    lambda names, f=col.field: self.lookups.records(f, names),
                    "import.record_unknown",
                )
            else:
                self._plain(built, col)
        return built

    @staticmethod
    def _plain(built: list[Built], col: Column) -> None:
        """One column down the batch (its reader and key looked up once, not per cell)."""
        index, key, read = col.index, col.field.key, col.read
        for b in built:
            cell = b.cells[index]
            if cell is None or (isinstance(cell, str) and (not cell or cell.isspace())):
                continue  # ``values.is_empty``, inline: this runs once per cell of the file
            b.item[key] = read(cell)

    def _named(
        self,
        built: list[Built],
        col: Column,
        find: Callable[[set[str]], dict[str, list[int]]],
        unknown: str,
    ) -> None:
        many = col.kind == "relation" and bool(col.field.options.get("multiple", True))
        parts: list[list[str]] = []
        wanted: set[str] = set()
        for b in built:
            cell = b.cells[col.index]
            text = "" if is_empty(cell) else str(as_text(cell))
            names = [p.strip() for p in _SPLIT.split(text)] if many else [text.strip()]
            names = [n for n in names if n]
            parts.append(names)
            wanted.update(n for n in names if not _an_id(n))
        found = find(wanted) if wanted else {}
        for b, names in zip(built, parts, strict=True):
            if not names:
                continue
            ids: list[int] = []
            bad = False
            for n in names:
                if _an_id(n):
                    ids.append(id_of(n))
                    continue
                hits = found.get(fold(n), [])
                if len(hits) != 1:
                    key = unknown if not hits else "import.name_ambiguous"
                    b.reasons.append(self.reason(col.field, Message(key, {"value": n})))
                    bad = True
                    break
                ids.append(hits[0])
            if bad:
                continue
            b.item[col.field.key] = ids if col.kind == "relation" else ids[0]


def _an_id(text: str) -> bool:
    """``#123`` names a record or user by id; plain digits are a name (a plate, a code)."""
    return text.startswith("#") and text[1:].isdecimal() and len(text) <= 20


def id_of(text: str) -> int:
    return int(text[1:])
