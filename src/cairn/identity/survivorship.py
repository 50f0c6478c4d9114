"""Survivorship: which value the survivor of a merge keeps, field by field (pure logic).

Given both records' values (as the API shows them), when each was last updated and each
field's rule (``cairn.meta.survivorship``), ``propose`` says the value and where it came from:

- ``survivor`` / ``loser``: that record's value (equal values count as the survivor's);
- ``union``: both were lists (multiple choices, attachments, many relations): the survivor's
  items, then the loser's items it lacks;
- ``choice``: a value given by hand in the merge dialog (``chosen``).

A blank winner is filled from the other record whatever the rule, so a merge never empties a
field either record had filled. Ties (same update time, same completeness, same source rank)
go to the survivor."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cairn.meta.survivorship import rule_of

SURVIVOR, LOSER, UNION, CHOICE = "survivor", "loser", "union", "choice"
ORIGINS = (SURVIVOR, LOSER, UNION, CHOICE)


@dataclass(frozen=True)
class Side:
    """One record of the pair: its values by field key and when it was last updated."""

    values: dict[str, Any]
    updated_at: datetime | None = None
    #: How many of the compared fields it has filled (the ``complete`` rule).
    filled: int = 0


@dataclass(frozen=True)
class Proposal:
    value: Any
    origin: str


def blank(value: Any) -> bool:
    return (
        value is None
        or value == []
        or value == {}
        or (isinstance(value, str) and not value.strip())
    )


def filled_count(values: dict[str, Any], keys: list[str]) -> int:
    return sum(1 for k in keys if not blank(values.get(k)))


def _key(item: Any) -> str:
    return json.dumps(item, sort_keys=True, ensure_ascii=False, default=str)


def union(first: list[Any], second: list[Any]) -> list[Any]:
    """``first``'s items, then ``second``'s it lacks (items compared as JSON)."""
    seen = {_key(x) for x in first}
    out = list(first)
    for x in second:
        if _key(x) not in seen:
            seen.add(_key(x))
            out.append(x)
    return out


def _rank(side: Side, source_field: str, order: list[str]) -> int:
    """The position of a record's source in the preferred order (not listed: after all)."""
    value = side.values.get(source_field)
    if isinstance(value, list):  # a multiple choice: its best source
        ranks = [order.index(v) for v in value if v in order]
        return min(ranks) if ranks else len(order)
    return order.index(value) if value in order else len(order)


def winner(options: dict[str, Any], survivor: Side, loser: Side) -> str:
    """Whose value a field's rule prefers (before blanks are filled)."""
    rule = rule_of(options)
    kind = rule["rule"]
    if kind == "recent":
        s, lo = survivor.updated_at, loser.updated_at
        return LOSER if s is not None and lo is not None and lo > s else SURVIVOR
    if kind == "complete":
        return LOSER if loser.filled > survivor.filled else SURVIVOR
    if kind == "source":
        field, order = rule["source_field"], rule["order"]
        return LOSER if _rank(loser, field, order) < _rank(survivor, field, order) else SURVIVOR
    return SURVIVOR


def propose(key: str, options: dict[str, Any], survivor: Side, loser: Side) -> Proposal:
    """The value field ``key`` keeps after the merge and its origin."""
    sv, lv = survivor.values.get(key), loser.values.get(key)
    if isinstance(sv, list) and isinstance(lv, list):
        both = union(sv, lv)
        if len(both) == len(sv):
            return Proposal(sv, SURVIVOR)
        return Proposal(both, UNION if sv else LOSER)
    if _key(sv) == _key(lv) or blank(lv):
        return Proposal(sv, SURVIVOR)
    if blank(sv):
        return Proposal(lv, LOSER)
    if winner(options, survivor, loser) == LOSER:
        return Proposal(lv, LOSER)
    return Proposal(sv, SURVIVOR)


def chosen(key: str, choice: Any, survivor: Side, loser: Side) -> Proposal:
    """A choice of the merge dialog: ``"survivor"``, ``"loser"`` or ``{"value": v}``; raises
    ValueError for anything else (the service names the field)."""
    if choice == SURVIVOR:
        return Proposal(survivor.values.get(key), SURVIVOR)
    if choice == LOSER:
        return Proposal(loser.values.get(key), LOSER)
    if isinstance(choice, dict) and set(choice) == {"value"}:
        return Proposal(choice["value"], CHOICE)
    raise ValueError(key)


def same(a: Any, b: Any) -> bool:
    """Equal as JSON (how unmerge tells whether a merged value was edited since)."""
    return _key(a) == _key(b)
