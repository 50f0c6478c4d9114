"""How a related record is named in an import's cell: the fields that name it (the display
field and the unique text fields) and the forms a name is looked up in. Names match
ignoring case, width and the spaces around them (``ACME `` names ``Acme``)."""

from __future__ import annotations

import unicodedata

from cairn.meta import Field
from cairn.store import TableSchema


def variants(texts: set[str]) -> set[str]:
    """The forms a name is looked up in: as written (without surrounding spaces, full-width
    ones too), full-width folded (NFKC), and each in lower case."""
    out: set[str] = set()
    for t in texts:
        stripped = t.strip()
        for v in (stripped, unicodedata.normalize("NFKC", stripped).strip()):
            out.update((v, v.lower()))
    out.discard("")
    return out


def folds_in_sql(target: TableSchema, f: Field) -> bool:
    """A stored text column: compared case-insensitively in SQL."""
    return not f.is_computed and not f.sensitive and target.type_of(f).holds_text


def naming_fields(target: TableSchema) -> list[Field]:
    """The display field and the unique text fields of a related table."""
    out: list[Field] = []
    d = target.display_field
    if d is not None:
        out.append(d)
    for f in target.fields:
        if f.unique and target.type_of(f).holds_text and f not in out:
            out.append(f)
    return out
