"""Resolution: every write of records files them under their blocking keys and turns the
records they share a block with, scoring at or above a rule's threshold, into duplicate
suggestions, in the transaction of the write.

A batch (a bulk write of up to 1,000 records, an import batch) costs, per rule, one read of
the compared columns, one delete and one insert of blocks, one candidate lookup through the
block index and one read of the candidates' values; nothing when the table has no rules.
A rule whose action is ``auto_merge`` files its pairs with the status ``auto``: the merge
itself is the merge service's (``Resolution.auto`` lists them for it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cairn.identity.blocking import blocked_parts, blocks
from cairn.identity.ports import Work
from cairn.identity.rules import CompiledRule
from cairn.identity.score import Scored, score
from cairn.identity.values import RecordValues, record_values
from cairn.store import TableSchema
from cairn.store import identity as store
from cairn.store import records as store_records

#: Candidates scored per record and rule at most: a block that large (a fuzzy-only rule on
#: a common surname) says more about the rule than about the record.
MAX_CANDIDATES = 500


@dataclass
class Resolution:
    """What a resolution found: the pairs in the review queue (new or still undecided; not
    those decided "not the same" or merged), and the ``auto`` pairs (record a, record b,
    rule id) an auto-merge rule found."""

    found: int = 0
    auto: list[tuple[int, int, int]] = field(default_factory=list)


def part_raws(
    uow: Work, s: TableSchema, rules: Sequence[CompiledRule], ids: Sequence[int]
) -> dict[int, dict[tuple[int, int | None], list[Any]]]:
    """Record id → (field id, via id) → the stored values each part of ``rules`` compares,
    for the live records among ``ids``: one read of the table's columns, and per relation
    part one read of the links and one of the related records' column."""
    conn, cat = uow.conn, uow.catalog
    direct = list({p.field.id: p.field for r in rules for p in r.parts if p.via is None}.values())
    keys = [(f.id, None) for f in direct]
    out: dict[int, dict[tuple[int, int | None], list[Any]]] = {
        row[0]: {k: [row[i + 1]] for i, k in enumerate(keys)}
        for row in store.column_values(conn, s, direct, ids)
    }
    via_parts = {(p.field.id, p.via.id): p for r in rules for p in r.parts if p.via is not None}
    for (fid, vid), p in via_parts.items():
        assert p.via is not None
        target = cat.schemas.get(p.via.reached_table_id or 0)
        if target is None:
            continue
        links = store_records.read_links(conn, cat, p.via, list(out))
        linked = sorted({t for ts in links.values() for t in ts})
        related = dict(store.column_values(conn, target, [p.field], linked))  # id → value
        for rid, parts in out.items():
            parts[(fid, vid)] = [related[t] for t in links.get(rid, []) if t in related]
    return out


def values_of(
    rule: CompiledRule,
    raws: dict[int, dict[tuple[int, int | None], list[Any]]],
    only: frozenset[int] | None = None,
    ids: Iterable[int] | None = None,
) -> dict[int, RecordValues]:
    """The comparable values of the records in ``raws`` (or of ``ids`` among them);
    ``only``: just those parts."""
    keys = [(p.field.id, p.via.id if p.via is not None else None) for p in rule.parts]
    wanted = raws if ids is None else {i: raws[i] for i in ids if i in raws}
    return {
        rid: record_values(rule, [parts.get(k, ()) for k in keys], stored=True, only=only)
        for rid, parts in wanted.items()
    }


def suggestion(rule: CompiledRule, a: int, b: int, scored: Scored) -> dict[str, Any]:
    return {
        "rule_id": rule.id,
        "record_a": a,
        "record_b": b,
        "score": scored.score,
        "evidence": [e.as_dict() for e in scored.evidence],
        "status": "auto" if rule.rule.action == "auto_merge" else "open",
    }


class Resolver:
    """Resolution for one unit of work's writes (the record writes and merges call it)."""

    def __init__(self, uow: Work) -> None:
        self.uow = uow

    def rules(self, s: TableSchema) -> Sequence[CompiledRule]:
        return self.uow.match_rules(s)

    def written(self, s: TableSchema, ids: Sequence[int]) -> Resolution:
        """Records created, updated or restored: blocks rewritten, pairs suggested."""
        rules = self.rules(s)
        if not rules or not ids:
            return Resolution()
        return self.resolve(s, rules, ids, replace=True)

    def forget(self, s: TableSchema, ids: Sequence[int]) -> None:
        """Records deleted (or merged away): out of the blocks, their open pairs gone."""
        if not self.rules(s):
            return
        store.drop_blocks(self.uow.conn, s.id, ids)
        store.drop_open_suggestions(self.uow.conn, s.id, ids)

    def resolve(
        self,
        s: TableSchema,
        rules: Sequence[CompiledRule],
        ids: Sequence[int],
        *,
        replace: bool,
    ) -> Resolution:
        """File ``ids`` under their blocks (``replace``: their old blocks go first) and score
        them against every record sharing a block; the pairs go to the review queue."""
        conn = self.uow.conn
        raws = part_raws(self.uow, s, rules, ids)
        entries: list[tuple[int, int, str]] = []
        mine: list[tuple[CompiledRule, dict[int, set[str]]]] = []
        for rule in rules:
            keyed = values_of(rule, raws, only=blocked_parts(rule))
            filed = {rid: blocks(rule, v) for rid, v in keyed.items()}
            entries += [(rule.id, rid, b) for rid, bs in filed.items() for b in sorted(bs)]
            mine.append((rule, filed))
        if replace:
            store.replace_blocks(conn, s.id, list(ids), entries, [r.id for r in rules])
        else:
            store.add_blocks(conn, s.id, entries)
        found: list[dict[str, Any]] = []
        for rule, filed in mine:
            found += self._pairs(s, rule, raws, filed)
        out = Resolution(found=store.upsert_suggestions(conn, s.id, found, self.uow.now))
        out.auto = [
            (f["record_a"], f["record_b"], f["rule_id"]) for f in found if f["status"] == "auto"
        ]
        return out

    def _pairs(
        self,
        s: TableSchema,
        rule: CompiledRule,
        raws: dict[int, dict[tuple[int, int | None], list[Any]]],
        filed: dict[int, set[str]],
    ) -> list[dict[str, Any]]:
        """The pairs of the filed records and those sharing a block with them that score;
        values are read in full only for records that have a candidate."""
        by_block: dict[str, list[int]] = {}
        for blk, rid in store.blocked(
            self.uow.conn, rule.id, [b for bs in filed.values() for b in bs]
        ):
            by_block.setdefault(blk, []).append(rid)
        wanted: dict[int, set[int]] = {}
        for rid, bs in filed.items():
            cands: set[int] = set()
            for b in bs:
                cands.update(by_block.get(b, ()))
            cands.discard(rid)
            if len(cands) > MAX_CANDIDATES:
                cands = set(sorted(cands)[:MAX_CANDIDATES])
            if cands:
                wanted[rid] = cands
        if not wanted:
            return []
        involved = set(wanted) | {c for cs in wanted.values() for c in cs}
        vals = values_of(rule, raws, ids=involved)
        others = involved - set(vals)
        if others:
            vals.update(values_of(rule, part_raws(self.uow, s, [rule], sorted(others))))
        out: list[dict[str, Any]] = []
        seen: set[tuple[int, int]] = set()
        for rid, cands in wanted.items():
            for c in cands:
                a, b = store.pair(rid, c)
                if (a, b) in seen or a not in vals or b not in vals:
                    continue
                seen.add((a, b))
                scored = score(rule, vals[a], vals[b])
                if scored is not None:
                    out.append(suggestion(rule, a, b, scored))
        return out


def match(
    uow: Work, s: TableSchema, values: dict[str, Any], rules: Iterable[CompiledRule]
) -> list[dict[str, Any]]:
    """The live records a record holding ``values`` would match, best first: record id,
    score, rule id and evidence (the given values as ``a``). Writes nothing.

    ``values`` by field key as typed (keys are normalised here); a part through a relation
    reads ``"<relation>.<field>"`` (the VIN itself) or ``"<relation>"`` (linked record ids)."""
    out: dict[int, dict[str, Any]] = {}
    for rule in rules:
        mine = record_values(rule, [_given(uow, p, values) for p in rule.parts])
        bs = blocks(rule, mine)
        if not bs:
            continue
        cands = sorted({rid for _, rid in store.blocked(uow.conn, rule.id, sorted(bs))})
        theirs = values_of(rule, part_raws(uow, s, [rule], cands[:MAX_CANDIDATES]))
        for rid, v in theirs.items():
            scored = score(rule, mine, v)
            if scored is None:
                continue
            best = out.get(rid)
            if best is None or best["score"] < scored.score:
                out[rid] = {
                    "record_id": rid,
                    "score": scored.score,
                    "rule_id": rule.id,
                    "evidence": [e.as_dict() for e in scored.evidence],
                }
    return sorted(out.values(), key=lambda c: (-c["score"], c["record_id"]))


def _given(uow: Work, p: Any, values: dict[str, Any]) -> list[Any]:
    """What ``values`` gives for one part: its field's value, or through a relation the
    related field's value itself or the linked records' values."""
    if p.via is None:
        return [values.get(p.field.key)]
    path = f"{p.via.key}.{p.field.key}"
    if path in values:
        return [values[path]]
    linked = values.get(p.via.key)
    ids = [i for i in (linked if isinstance(linked, list) else [linked]) if isinstance(i, int)]
    target = uow.catalog.schemas.get(p.via.reached_table_id or 0)
    if target is None or not ids:
        return []
    got = dict(store.column_values(uow.conn, target, [p.field], ids))
    return [got[i] for i in ids if i in got]
