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


EMPTY = PartValues((), ())


def record_values(
    rule: CompiledRule,
    raw_parts: Sequence[Sequence[Any]],
    *,
    stored: bool = False,
    only: frozenset[int] | None = None,
) -> RecordValues:
    """``raw_parts``: per part of ``rule``, the values the record holds (one for a field of
    the table, any number through a relation); ``stored``: as read from the database (keys
    canonical already), else as typed; ``only``: the parts to read (the others are left
    empty: blocking a keyed rule needs its exact parts only)."""
    out = []
    for i, (part, raws) in enumerate(zip(rule.parts, raw_parts, strict=True)):
        if only is not None and i not in only:
            out.append(EMPTY)
            continue
        texts: list[str] = []
        kept: list[Any] = []
        convert = part.from_storage if stored else part.normalise
        for raw in raws:
            text = convert(raw)
            if text and text not in texts:
                texts.append(text)
                kept.append(raw)
        out.append(PartValues(tuple(texts), tuple(kept)))
    return tuple(out)
