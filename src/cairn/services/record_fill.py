"""Fill from a relation (``cairn.query.datalink``): a write that sets or changes a single
relation whose options name ``fill`` pairs gets the linked record's values of those fields
for the fields of its own that it does not write itself, before its values are checked (so
they are coerced, required and unique like typed ones), in the write's transaction.

Read as the writer may: a linked record outside their read scope fills nothing, nor does a
field of it they may not read or read masked; a field they may not write is not filled. A
relation holding several records never fills (the option refuses it). One query per
relation field for the whole batch, plus one for the updated records' current links."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth.guard import guard
from cairn.meta import BadValue, Field
from cairn.meta.conversions import carried, fill_compatible
from cairn.query import build_select
from cairn.services.uow import UnitOfWork
from cairn.store import TableSchema, records

if TYPE_CHECKING:
    from cairn.services.record_reads import RecordReads

#: Linked records per query.
CHUNK = 900

#: Per relation field: (its field, the linked table, [(field of that table, field to fill)]).
Plan = list[tuple[Field, TableSchema, list[tuple[Field, Field]]]]


def fill_plan(uow: UnitOfWork, s: TableSchema) -> Plan:
    """The relations of ``s`` that fill fields, with the pairs the writer's permissions and
    the fields' current types allow."""
    plan: Plan = []
    for f in s.fields:
        pairs_raw = f.options.get("fill") if f.is_relation else None
        if not pairs_raw or f.options.get("multiple", True):
            continue
        target = uow.catalog.schemas.get(int(f.options["target_table_id"]))
        if target is None:
            continue
        pairs = []
        for p in pairs_raw:
            src, dst = target.by_id.get(p["from"]), s.by_id.get(p["to"])
            if src is None or dst is None:
                continue
            if fill_compatible(target.type_of(src), s.type_of(dst)):
                pairs.append((src, dst))
        if pairs:
            plan.append((f, target, pairs))
    if not plan:
        return plan
    g = guard(uow)
    if g.unrestricted:
        return plan
    mine = g.access(s)
    out: Plan = []
    for f, target, pairs in plan:
        if not g.access(target).can("read"):
            continue
        hidden, masked = g.view(target)
        kept = [
            (src, dst)
            for src, dst in pairs
            if src.id not in hidden and src.id not in masked and mine.writable(dst.id)
        ]
        if kept:
            out.append((f, target, kept))
    return out


def fill_from_links(
    reads: RecordReads, uow: UnitOfWork, s: TableSchema, items: list[Any]
) -> list[Any]:
    """``items`` (a records write's raw input) with the values their newly linked records
    fill; the same list when nothing is filled."""
    plan = fill_plan(uow, s)
    if not plan:
        return items
    out = list(items)
    for f, target, pairs in plan:
        wanted = _choices(uow, s, f, out, pairs)
        if not wanted:
            continue
        values = _read(reads, uow, target, {t for _, t in wanted}, [src for src, _ in pairs])
        for i, tid in wanted:
            rec = values.get(tid)
            if rec is None:
                continue  # not readable or not there: the reference check answers
            item = dict(out[i])
            for src, dst in pairs:
                if dst.key not in item and src.key in rec:
                    item[dst.key] = carried(rec[src.key], s.type_of(dst).value_type)
            out[i] = item
    return out


def _choices(
    uow: UnitOfWork, s: TableSchema, f: Field, items: list[Any], pairs: list[tuple[Field, Field]]
) -> list[tuple[int, int]]:
    """(index of the item, the record it links) for each item that sets ``f`` to a record
    other than the one it holds and leaves some filled field to the fill."""
    coerce = s.coercers[f.id]
    found: list[tuple[int, int, int | None]] = []
    for i, raw in enumerate(items):
        if not isinstance(raw, dict) or f.key not in raw:
            continue
        if all(dst.key in raw for _, dst in pairs):
            continue
        try:
            ids = coerce(raw[f.key])
        except BadValue:
            continue  # the write's own check reports it
        if len(ids) != 1:
            continue
        rid = raw.get("id")
        found.append(
            (i, ids[0], rid if isinstance(rid, int) and not isinstance(rid, bool) else None)
        )
    updated = [rid for _, _, rid in found if rid is not None]
    current = records.read_links(uow.conn, uow.catalog, f, updated) if updated else {}
    return [(i, tid) for i, tid, rid in found if rid is None or current.get(rid) != [tid]]


def _read(
    reads: RecordReads,
    uow: UnitOfWork,
    target: TableSchema,
    ids: set[int],
    fields: list[Field],
) -> dict[int, dict[str, Any]]:
    """The ``fields`` of the linked records ``ids`` as JSON, by id, within the writer's read
    scope (one query per 900 records)."""
    where = guard(uow).row_where(target)
    dump = reads.row_dump(uow)
    out: dict[int, dict[str, Any]] = {}
    wanted = sorted(ids)
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        plan = build_select(
            uow.catalog,
            target,
            filter={"field": "id", "op": "in", "value": chunk},
            fields=[f.key for f in fields],
            limit=len(chunk),
            clock=reads.s.clock,
            extra_where=where,
        )
        rows = list(uow.conn.execute(plan.select))
        out.update({r["id"]: r for r in dump.rows(target, rows, fields)})
    return out
