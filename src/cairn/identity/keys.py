"""The identity keys of a table, as One-ID's match rules read them.

A field is a key when its options name a kind (``identity_key``, checked by the field's type:
``FieldType.key_kinds``). Field values are already canonical for the dedicated types (vin,
id_number, credit_code), phones (E.164) and marked text fields; ``KeyField.normalise`` brings
any other text (a search box, an import column, an e-mail field's local part) to the same form,
so a match is an equality on canonical text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

from cairn.core.idkeys import KINDS, KeyRefused, mobile
from cairn.meta import Field, FieldTypeRegistry


@dataclass(frozen=True)
class KeyField:
    """A field holding identity keys of one kind."""

    field: Field
    kind: str
    normaliser: Callable[[str], str]

    def normalise(self, value: object) -> str | None:
        """The canonical key of ``value``; None for a blank or for what is no key of the kind."""
        if not isinstance(value, str) or not value.strip():
            return None
        try:
            return self.normaliser(value)
        except KeyRefused:
            return None


def key_fields(fields: Iterable[Field], types: FieldTypeRegistry) -> list[KeyField]:
    """The live fields marked as identity keys, in the order given."""
    out = []
    for f in fields:
        if f.deleted_at is not None or f.type not in types:
            continue
        kind = types.get(f.type).identity_key(f)
        if kind is None:
            continue
        normaliser: Callable[[str], str] = KINDS[kind]
        if kind == "mobile":
            normaliser = partial(mobile.normalise, region=f.options.get("region") or "CN")
        out.append(KeyField(f, kind, normaliser))
    return out
