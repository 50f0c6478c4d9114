"""The pair of a One-ID merge and the shapes shared by its use cases: both records checked
(live, not merged, the principal may update both), the transaction as the system sees it, and
a merge as the API shows it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cairn.auth import SYSTEM
from cairn.auth.guard import guard
from cairn.core import Conflict, Forbidden, Invalid, NotFound
from cairn.services.subform_rows import refuse_rows_table
from cairn.services.uow import UnitOfWork
from cairn.store import TableSchema, records
from cairn.store import merges as store


@dataclass(frozen=True)
class Pair:
    survivor: Any
    loser: Any


def checked_pair(uow: UnitOfWork, s: TableSchema, sid: int, lid: int, lock: bool) -> Pair:
    """Both rows (locked in id order for a merge), once both are live records of ``s``
    the principal may update."""
    refuse_rows_table(s)  # a sub-form's rows merge with their parents only
    g = guard(uow)
    g.require(s, "update")
    ids = sorted((sid, lid))
    rows = records.lock_rows(uow.conn, s, ids) if lock else store.rows(uow.conn, s, ids)
    tombs = store.active(uow.conn, s.id, ids)
    for rid in ids:
        if rid in tombs:
            raise Conflict("merge.tombstone", id=rid, into=tombs[rid].survivor_id)
        row = rows.get(rid)
        if row is None or row.deleted_at is not None:
            raise NotFound("record.not_found", id=rid)
    access = g.access(s)
    if access.scoped("read") and len(g.in_scope(s, ids, "read")) < 2:
        missing = [i for i in ids if i not in g.in_scope(s, ids, "read")]
        raise NotFound("record.not_found", id=missing[0])
    if access.scoped("update") and len(g.in_scope(s, ids, "update")) < 2:
        raise Forbidden("auth.forbidden")
    return Pair(rows[sid], rows[lid])


def pair_ids(survivor_id: Any, loser_id: Any) -> tuple[int, int]:
    for loc, v in (("survivor_id", survivor_id), ("loser_id", loser_id)):
        if isinstance(v, bool) or not isinstance(v, int) or not 0 < v < 2**63:
            raise Invalid.on(loc, "value.relation")
    if survivor_id == loser_id:
        raise Invalid.on("loser_id", "merge.same_record")
    return survivor_id, loser_id


def system_view(uow: UnitOfWork) -> UnitOfWork:
    """The transaction as the system sees it (every field, unmasked), writing as the actor."""
    view = uow.viewed_as(SYSTEM)
    view.actor_id, view.now = uow.actor_id, uow.now
    return view


def moved_counts(moved: list[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for e in moved:
        kind = "links" if e["kind"] == "junction" else e["kind"]
        out[kind] = out.get(kind, 0) + len(e["ids"])
    return out


def iso(at: Any) -> str | None:
    return at.isoformat() + "Z" if at is not None else None


def public(s: TableSchema, row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "table": s.table.key,
        "survivor_id": row.survivor_id,
        "loser_id": row.loser_id,
        "status": row.status,
        "merged_at": iso(row.merged_at),
        "merged_by": row.merged_by,
        "unmerged_at": iso(row.unmerged_at),
        "unmerged_by": row.unmerged_by,
        "suggestion_id": row.suggestion_id,
        "moved_counts": moved_counts(list(row.moved or [])),
        "choices": {c["key"]: c["origin"] for c in (row.choices or {}).values()},
    }
