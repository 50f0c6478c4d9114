"""The values side of a One-ID merge: which fields take part and how, the two records as the
merge compares them, the proposal per field (``cairn.identity.survivorship``) and what the
survivor's update writes.

Fields by how they merge:
- value fields (stored, writable, not sub-forms, not relations): survivorship, or a choice;
- relation fields: the links move (``store.merge_moves``): a multiple relation unites both
  records' links, a single one keeps the survivor's link (the loser's when it has none);
- sub-form fields: the loser's rows are appended to the survivor's;
- computed and system fields (formulas, lookups, rollups, auto numbers): recomputed, shown
  in no preview."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cairn.core import Invalid
from cairn.identity.survivorship import (
    CHOICE,
    LOSER,
    SURVIVOR,
    UNION,
    Proposal,
    Side,
    chosen,
    filled_count,
    propose,
    union,
)
from cairn.meta import Field
from cairn.store import TableSchema

VALUE, LINKS, ROWS = "value", "links", "rows"


def kind_of(s: TableSchema, f: Field) -> str | None:
    """How ``f`` takes part in a merge (None: not at all)."""
    ft = s.type_of(f)
    if f.is_relation:
        return LINKS
    if ft.holds_rows:
        return ROWS
    if ft.stored and ft.writable and not ft.sequenced and ft.references != "record":
        return VALUE
    return None


def merged_fields(s: TableSchema) -> list[tuple[Field, str]]:
    return [(f, k) for f in s.fields if (k := kind_of(s, f)) is not None]


def sides(s: TableSchema, survivor: dict[str, Any], loser: dict[str, Any]) -> tuple[Side, Side]:
    keys = [f.key for f, k in merged_fields(s) if k == VALUE]
    return (
        Side(survivor, _at(survivor.get("updated_at")), filled_count(survivor, keys)),
        Side(loser, _at(loser.get("updated_at")), filled_count(loser, keys)),
    )


def _at(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _links(f: Field, sv: Any, lv: Any) -> Proposal:
    as_list = [x for x in (sv if isinstance(sv, list) else [sv]) if x is not None]
    other = [x for x in (lv if isinstance(lv, list) else [lv]) if x is not None]
    if f.options.get("multiple", True):
        both = union(as_list, other)
        if len(both) == len(as_list):
            return Proposal(sv, SURVIVOR)
        return Proposal(both, UNION if as_list else LOSER)
    return Proposal(sv, SURVIVOR) if sv is not None or lv is None else Proposal(lv, LOSER)


def _rows(sv: Any, lv: Any) -> Proposal:
    mine, theirs = list(sv or []), list(lv or [])
    if not theirs:
        return Proposal(mine, SURVIVOR)
    return Proposal(mine + theirs, UNION if mine else LOSER)


@dataclass
class Plan:
    """Per field key: the proposal; ``update``: what the survivor's update writes."""

    proposals: dict[str, Proposal]
    update: dict[str, Any]


def plan(
    s: TableSchema,
    survivor: dict[str, Any],
    loser: dict[str, Any],
    choices: dict[str, Any] | None = None,
) -> Plan:
    """The proposal of every merged field the values show (a field missing from them, e.g.
    hidden from the reader, is left out), with ``choices`` applied (``Invalid`` naming the
    field for a bad one)."""
    choices = choices or {}
    if not isinstance(choices, dict):
        raise Invalid.on("choices", "merge.choice", field="choices")
    fields = merged_fields(s)
    kinds = {f.key: k for f, k in fields}
    for key in choices:
        if key not in s.by_key:
            raise Invalid.on(f"choices.{key}", "field.unknown", key=key)
        if kinds.get(key) != VALUE:
            raise Invalid.on(f"choices.{key}", "merge.choice_field", field=key)
    sv_side, lo_side = sides(s, survivor, loser)
    proposals: dict[str, Proposal] = {}
    update: dict[str, Any] = {}
    for f, kind in fields:
        if f.key not in survivor or f.key not in loser:
            continue
        sv, lv = survivor[f.key], loser[f.key]
        if kind == LINKS:
            proposals[f.key] = _links(f, sv, lv)
        elif kind == ROWS:
            proposals[f.key] = _rows(sv, lv)
        elif f.key in choices:
            try:
                proposals[f.key] = chosen(f.key, choices[f.key], sv_side, lo_side)
            except ValueError:
                raise Invalid.on(f"choices.{f.key}", "merge.choice", field=f.key) from None
        else:
            proposals[f.key] = propose(f.key, f.options, sv_side, lo_side)
        p = proposals[f.key]
        if kind == VALUE and (p.origin != SURVIVOR or p.origin == CHOICE):
            update[f.key] = p.value
    return Plan(proposals, update)


__all__ = ["CHOICE", "LINKS", "ROWS", "VALUE", "Plan", "kind_of", "merged_fields", "plan"]
