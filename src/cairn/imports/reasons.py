"""Why a row of an import is refused or skipped, in the language the job was started in:
the field named, and inside a sub-form the sub-form, its row and column."""

from __future__ import annotations

from cairn.core import Invalid, Message
from cairn.core.i18n import render
from cairn.meta import Field
from cairn.store import TableSchema


class Reasons:
    def __init__(self, language: str) -> None:
        self.language = language

    def reason(self, m: Message, f: Field | None = None) -> str:
        text = render(m, self.language)
        return f"{f.name}: {text}" if f is not None else text

    def reason_at(self, s: TableSchema, f: Field | None, rest: list[str], m: Message) -> str:
        """A refusal at ``records.N.<field>``, or inside a sub-form at
        ``records.N.<sub-form>.<row index>.<column>``: the sub-form, row and column named."""
        child = s.subforms.get(f.id) if f is not None else None
        if f is None or child is None or not rest or not rest[0].isdecimal():
            return self.reason(m, f)
        col = child.by_key.get(rest[1]) if len(rest) > 1 else None
        sub = {"subform": f.name, "row": int(rest[0]) + 1, "reason": self.reason(m, col)}
        return render(Message("import.subform_row", sub), self.language)

    def refused_rows(self, s: TableSchema, e: Invalid, count: int) -> dict[int, str]:
        """Index in the written items → why the bulk write refused it (``records.N...``
        field errors); other errors name no row."""
        bad: dict[int, list[str]] = {}
        for loc, messages in e.field_errors.items():
            parts = loc.split(".")
            if len(parts) < 2 or parts[0] != "records" or not parts[1].isdecimal():
                continue
            i = int(parts[1])
            if i >= count:
                continue
            f = s.by_key.get(parts[2]) if len(parts) > 2 else None
            for m in messages:
                bad.setdefault(i, []).append(self.reason_at(s, f, parts[3:], m))
        return {i: "; ".join(r) for i, r in bad.items()}
