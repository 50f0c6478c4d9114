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
from cairn.imports.subforms import SubformSource
from cairn.imports.values import as_text, fold, friendly, is_empty
from cairn.meta import Field

_SPLIT = re.compile(r"[,，;；、\n]")
#: Where a cell of the tags column splits into tag names (a bar too: "VIP|华东").
_TAG_SPLIT = re.compile(r"[,，;；、|\n]")
#: The mapping target of a column of tag names (the records' tags, not a field).
TAGS_KEY = "_tags"
#: The candidates a refused ambiguous name lists.
MAX_CANDIDATES = 5


@dataclass
class Column:
    index: int
    field: Field
    read: Callable[[Any], Any]
    #: "plain", "user" (named users), "relation" (named related records), "subform" or
    #: "tags" (names of the app's tags)
    kind: str = "plain"
    #: A sub-form column: where its rows come from (set by the caller, who knows the file).
    sub: SubformSource | None = None


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
        if key == TAGS_KEY:
            out.append(Column(i, tags_field(0), str, "tags"))
            continue
        f = by_key[key]
        kind = (
            "subform"
            if f.is_subform
            else "user"
            if f.holds_user
            else "relation"
            if f.is_relation
            else "plain"
        )
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
            elif col.kind == "subform":
                self._subform(built, col)
            elif col.kind == "tags":
                self._tags(built, col)
            else:
                self._plain(built, col)
        return built

    def _subform(self, built: list[Built], col: Column) -> None:
        """Each parent row's sub-form rows, read together (one name look-up per column for
        the whole batch); a refused sub-form row refuses its parent row."""
        sub = col.sub
        if sub is None:
            return
        child = RowBuilder(
            columns([f.key for f in sub.columns], {f.key: f for f in sub.columns}, sub.types),
            self.lookups,
            self.language,
        )
        owned: list[tuple[Built, int, int]] = []
        flat: list[tuple[int, list[Any]]] = []
        for b in built:
            rows = sub.rows_of(b.cells[col.index], b.cells)
            if isinstance(rows, Message):
                b.reasons.append(self.reason(col.field, rows))
            else:
                owned.append((b, len(flat), len(flat) + len(rows)))
                flat.extend(enumerate(rows, 1))
        kids_all = child.build(flat)
        for b, start, end in owned:
            kids = kids_all[start:end]
            bad = next((k for k in kids if k.reasons), None)
            if bad is not None:
                m = Message(
                    "import.subform_row",
                    {"subform": col.field.name, "row": bad.row_no, "reason": bad.reasons[0]},
                )
                b.reasons.append(render(m, self.language))
            else:
                b.item[col.field.key] = [k.item for k in kids]

    def _tags(self, built: list[Built], col: Column) -> None:
        """Tag names to the app's tag ids (one look-up per batch); a name of no tag refuses
        the row (unless the job creates missing tags: the look-up does)."""
        parts: list[list[str]] = []
        for b in built:
            cell = b.cells[col.index]
            text = "" if is_empty(cell) else str(as_text(cell))
            parts.append(
                list(dict.fromkeys(p.strip() for p in _TAG_SPLIT.split(text) if p.strip()))
            )
        wanted = {n for names in parts for n in names}
        found = self.lookups.tags(wanted) if wanted else {}
        for b, names in zip(built, parts, strict=True):
            if not names:
                continue
            missing = [n for n in names if n not in found]
            if missing:
                m = Message("import.tag_unknown", {"value": missing[0]})
                b.reasons.append(self.reason(col.field, m))
                continue
            b.item[TAGS_KEY] = [found[n] for n in names]

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
        find: Callable[[set[str]], dict[str, dict[int, str]]],
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
                hits = found.get(fold(n), {})
                if len(hits) != 1:
                    b.reasons.append(self.reason(col.field, _not_one(n, hits, unknown)))
                    bad = True
                    break
                ids.append(next(iter(hits)))
            if bad:
                continue
            b.item[col.field.key] = ids if col.kind == "relation" else ids[0]


def tags_field(table_id: int) -> Field:
    """The column target "tags" as the mapping lists it beside the fields."""
    return Field(id=0, table_id=table_id, key=TAGS_KEY, name="标签", type="text")


def _not_one(name: str, hits: dict[int, str], unknown: str) -> Message:
    """Why a name names no one (``unknown``) or several (with the candidates, so the user
    sees which to write: ``#12 Acme, #15 ACME``)."""
    if not hits:
        return Message(unknown, {"value": name})
    shown = [f"#{i} {label}" for i, label in sorted(hits.items())[:MAX_CANDIDATES]]
    if len(hits) > MAX_CANDIDATES:
        shown.append("…")
    return Message("import.name_ambiguous", {"value": name, "candidates": ", ".join(shown)})


def _an_id(text: str) -> bool:
    """``#123`` names a record or user by id; plain digits are a name (a plate, a code)."""
    return text.startswith("#") and text[1:].isdecimal() and len(text) <= 20


def id_of(text: str) -> int:
    return int(text[1:])
