"""Rows of ``identity_merges`` (One-ID merges) and the tombstones they leave: a merged loser
resolves to its survivor (following later merges of the survivor), so old links and API ids
keep working."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.core import Conflict
from cairn.store.tables.identity import identity_merges as M
from cairn.store.tables.identity import identity_suggestions as S

MERGED, UNMERGED = "merged", "unmerged"
#: Merges followed from a loser to its final survivor (a chain longer than this is cut).
MAX_CHAIN = 50


def rows(conn: sa.Connection, s: Any, ids: list[int]) -> dict[int, Any]:
    """Record rows of table ``s`` by id (live or deleted), unlocked (a preview)."""
    t = s.sa_table
    return {r.id: r for r in conn.execute(sa.select(t).where(t.c.id.in_(ids)))}


def insert(conn: sa.Connection, **values: Any) -> int:
    return int(conn.execute(sa.insert(M).values(**values).returning(M.c.id)).scalar_one())


def get(conn: sa.Connection, merge_id: int, lock: bool = False) -> Any | None:
    q = sa.select(M).where(M.c.id == merge_id)
    if lock and conn.dialect.name == "postgresql":
        q = q.with_for_update()
    return conn.execute(q).first()


def of_record(conn: sa.Connection, table_id: int, record_id: int | None, limit: int) -> list[Any]:
    """A table's merges, newest first; with ``record_id``, those it took part in."""
    q = sa.select(M).where(M.c.table_id == table_id)
    if record_id is not None:
        q = q.where(sa.or_(M.c.survivor_id == record_id, M.c.loser_id == record_id))
    return list(conn.execute(q.order_by(M.c.id.desc()).limit(limit)))


def active(conn: sa.Connection, table_id: int, losers: Iterable[int]) -> dict[int, Any]:
    """The merges in force whose loser is one of ``losers``: loser id → merge row."""
    ids = list(losers)
    if not ids:
        return {}
    q = sa.select(M).where(M.c.table_id == table_id, M.c.status == MERGED, M.c.loser_id.in_(ids))
    return {r.loser_id: r for r in conn.execute(q)}


def survivors(conn: sa.Connection, table_id: int, ids: Iterable[int]) -> dict[int, int]:
    """Of ``ids``, the merged tombstones and the live record each resolves to (through any
    later merge of its survivor)."""
    out: dict[int, int] = {}
    current = {i: i for i in ids}
    for _ in range(MAX_CHAIN):
        found = active(conn, table_id, set(current.values()))
        if not found:
            break
        current = {orig: found[now].survivor_id for orig, now in current.items() if now in found}
        out.update(current)
    return out


def refuse_tombstone(conn: sa.Connection, s: Any, record_id: int) -> None:
    """A merged tombstone is neither restored nor purged from the recycle bin: its merge is
    undone instead (409 naming the survivor)."""
    found = active(conn, s.id, [record_id]).get(record_id)
    if found is not None:
        raise Conflict("merge.restore_tombstone", id=record_id, into=found.survivor_id)


def set_status(
    conn: sa.Connection, merge_id: int, by: int | None, at: datetime, choices: Any = None
) -> int:
    """Mark a merge unmerged, if it still is merged: the rows updated (0: someone else did)."""
    values: dict[str, Any] = {"status": UNMERGED, "unmerged_by": by, "unmerged_at": at}
    if choices is not None:
        values["choices"] = choices
    res = conn.execute(
        sa.update(M).where(M.c.id == merge_id, M.c.status == MERGED).values(**values)
    )
    return int(res.rowcount)


# -- suggestions --------------------------------------------------------------------------------


def suggestion(conn: sa.Connection, suggestion_id: int) -> Any | None:
    return conn.execute(sa.select(S).where(S.c.id == suggestion_id)).first()


def decide_pair(
    conn: sa.Connection,
    table_id: int,
    a: int,
    b: int,
    status: str,
    by: int | None,
    at: datetime,
) -> list[int]:
    """Set the status of the suggestion of the pair ``a``, ``b`` (if any); its ids."""
    lo, hi = min(a, b), max(a, b)
    where = (S.c.table_id == table_id, S.c.record_a == lo, S.c.record_b == hi)
    ids = list(conn.execute(sa.select(S.c.id).where(*where)).scalars())
    if ids:
        conn.execute(
            sa.update(S).where(S.c.id.in_(ids)).values(status=status, decided_by=by, decided_at=at)
        )
    return ids


# -- sensitive values ---------------------------------------------------------------------------
#: How a sensitive field's value is kept in a merge row: encrypted like its column.
SEALED_KEY = "$sealed"


def seal_values(s: Any, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` (by field key) with every sensitive field's value encrypted (the merge row
    keeps no plaintext of what is encrypted at rest)."""
    out = dict(values)
    for fid, sealer in s.sealers.items():
        f = s.by_id[fid]
        if out.get(f.key) is not None:
            text = json.dumps(out[f.key], ensure_ascii=False)
            out[f.key] = {SEALED_KEY: sealer.keys().encrypt(text, sealer.context)}
    return out


def open_values(s: Any, values: dict[str, Any]) -> dict[str, Any]:
    """The plaintext of what ``seal_values`` sealed."""
    out = dict(values)
    for fid, sealer in s.sealers.items():
        v = out.get(s.by_id[fid].key)
        if isinstance(v, dict) and set(v) == {SEALED_KEY}:
            out[s.by_id[fid].key] = json.loads(sealer.keys().decrypt(v[SEALED_KEY], sealer.context))
    return out
