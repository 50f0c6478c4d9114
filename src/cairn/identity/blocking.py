"""Blocking keys: the short texts a record is filed under, so its candidates are the records
filed under one of the same texts (one indexed lookup), never every other record.

What each rule's blocks promise (``tests/identity/test_blocking.py`` checks it):

* A rule with an exact part on an **identity key** (mobile, VIN, ID number ...) blocks on its
  exact parts alone: the canonical values joined. Two records share a block exactly when every
  exact part is equal, which a pair needs to score at all, so blocking loses no pair. Fuzzy
  parts of such a rule are only scored.
* Otherwise the rule (fuzzy parts, perhaps with exact non-key parts such as a city) blocks on
  the exact parts joined with, for each fuzzy part, the first or the last characters of its
  normalised value (every combination, so 2^n blocks for n fuzzy parts): two characters for
  Latin text, one for Chinese (a Chinese name is short and one character is as selective as
  two letters). Two records whose exact parts are equal and whose fuzzy values are each at most
  **one edit** (a changed, added or dropped character) apart share a block when every value
  has at least 4 (Latin) or 2 (Chinese) characters: one edit cannot reach both ends. That is
  the recall traded: pairs with typos at both ends of a name, or with two edits spread over
  it, are found only if they also share an exact key. In exchange a block holds the records
  with the same start (or end) of a name, not the whole table.
"""

from __future__ import annotations

import hashlib
import itertools

from cairn.identity.rules import CompiledRule
from cairn.identity.values import RecordValues

#: Longest block text stored (``identity_blocks.block`` is 200 characters): longer ones are
#: replaced by their digest (equal texts, equal digests).
MAX_BLOCK = 190


def _wide(ch: str) -> bool:
    """A CJK ideograph (or another wide character): one of them is as selective as two
    letters."""
    return ord(ch) >= 0x2E80


def ends(text: str) -> tuple[str, str]:
    """The start and the end of a normalised value that fuzzy parts block on."""
    head = 1 if _wide(text[0]) else 2
    tail = 1 if _wide(text[-1]) else 2
    return text[:head], text[-tail:]


def _fit(block: str) -> str:
    if len(block) <= MAX_BLOCK:
        return block
    return "#" + hashlib.sha256(block.encode()).hexdigest()


def blocked_parts(rule: CompiledRule) -> frozenset[int]:
    """The parts ``blocks`` reads."""
    return frozenset(rule.exact if rule.keyed else range(len(rule.parts)))


def blocks(rule: CompiledRule, values: RecordValues) -> set[str]:
    """The blocks a record with ``values`` is filed under for ``rule`` (none when a part it
    blocks on is empty: such a record cannot match)."""
    exact = rule.exact
    options: list[list[str]] = []
    for i in exact:
        texts = values[i].texts
        if not texts:
            return set()
        options.append([f"{i}={t}" for t in texts])
    if not rule.keyed:
        for i in rule.fuzzy:
            texts = values[i].texts
            if not texts:
                return set()
            grams: list[str] = []
            for t in texts:
                head, tail = ends(t)
                grams += [f"{i}^{head}", f"{i}${tail}"]
            options.append(list(dict.fromkeys(grams)))
    if not options:
        return set()
    return {_fit("\x1f".join(combo)) for combo in itertools.product(*options)}
