"""A record's values under a rule: per part, the comparable texts (normalised, blanks and
non-keys dropped) and what was stored (shown as the evidence of a match)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cairn.identity.rules import CompiledRule


@dataclass(frozen=True)
class PartValues:
    #: Comparable texts, without repeats (a part through a relation may read many records).
    texts: tuple[str, ...]
    #: The stored values the texts came from, in the same order.
    raw: tuple[Any, ...]


RecordValues = tuple[PartValues, ...]


def record_values(rule: CompiledRule, raw_parts: Sequence[Sequence[Any]]) -> RecordValues:
    """``raw_parts``: per part of ``rule``, the stored values the record holds (one for a
    field of the table, any number through a relation)."""
    out = []
    for part, raws in zip(rule.parts, raw_parts, strict=True):
        texts: list[str] = []
        kept: list[Any] = []
        for raw in raws:
            text = part.normalise(raw)
            if text and text not in texts:
                texts.append(text)
                kept.append(raw)
        out.append(PartValues(tuple(texts), tuple(kept)))
    return tuple(out)
