"""Tag rows (``tables.tags``): an app's vocabulary and the tags on records.

Applying tags is idempotent: a tag already on a record is left as it is (its first source
kept), a tag not on it is not removed twice; each call answers what it actually changed, so
the caller emits events only for real changes (a rule's replay changes nothing)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.store import changes
from cairn.store.catalog import TableSchema
from cairn.store.tables.tags import record_tags, tags

#: Ids per IN list: below SQLite's bound-parameter limit with room for others.
CHUNK = 900


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# -- the vocabulary ---------------------------------------------------------------------------
def vocabulary(conn: sa.Connection, app_id: int) -> list[Any]:
    """An app's tags, by group, then position, then name."""
    t = tags.c
    q = sa.select(tags).where(t.app_id == app_id).order_by(t.group, t.position, t.name, t.id)
    return list(conn.execute(q))


def tag(conn: sa.Connection, app_id: int, tag_id: int) -> Any | None:
    t = tags.c
    return conn.execute(sa.select(tags).where(t.app_id == app_id, t.id == tag_id)).first()


def by_ids(conn: sa.Connection, app_id: int, ids: Sequence[int]) -> dict[int, Any]:
    """The app's tags among ``ids`` (an id of another app's tag is not found)."""
    out: dict[int, Any] = {}
    for part in _chunks(list(ids)):
        q = sa.select(tags).where(tags.c.app_id == app_id, tags.c.id.in_(list(part)))
        out.update({r.id: r for r in conn.execute(q)})
    return out


def by_names(conn: sa.Connection, app_id: int, names: Sequence[str]) -> dict[str, Any]:
    """The app's tags named ``names`` (exactly), by name."""
    out: dict[str, Any] = {}
    for part in _chunks(list(names)):
        q = sa.select(tags).where(tags.c.app_id == app_id, tags.c.name.in_(list(part)))
        out.update({r.name: r for r in conn.execute(q)})
    return out


def count(conn: sa.Connection, app_id: int) -> int:
    q = sa.select(sa.func.count()).select_from(tags).where(tags.c.app_id == app_id)
    return int(conn.execute(q).scalar_one())


def name_taken(conn: sa.Connection, app_id: int, name: str, but: int | None = None) -> bool:
    q = sa.select(tags.c.id).where(tags.c.app_id == app_id, tags.c.name == name)
    if but is not None:
        q = q.where(tags.c.id != but)
    return conn.execute(q.limit(1)).first() is not None


def uses(conn: sa.Connection, tag_ids: Sequence[int]) -> dict[int, int]:
    """How many records carry each tag (``ix_record_tags_tag_id``)."""
    if not tag_ids:
        return {}
    rt = record_tags.c
    out: dict[int, int] = {}
    for part in _chunks(list(tag_ids)):
        q = (
            sa.select(rt.tag_id, sa.func.count())
            .where(rt.tag_id.in_(list(part)))
            .group_by(rt.tag_id)
        )
        out.update({int(tid): int(n) for tid, n in conn.execute(q)})
    return out


def insert_tag(conn: sa.Connection, **values: Any) -> int:
    new_id = conn.execute(sa.insert(tags).values(**values).returning(tags.c.id)).scalar_one()
    changes.created(conn, tags, new_id)
    return int(new_id)


def update_tag(conn: sa.Connection, tag_id: int, **values: Any) -> None:
    changes.touching(conn, tags, tag_id)
    conn.execute(sa.update(tags).where(tags.c.id == tag_id).values(**values))


def delete_tag(conn: sa.Connection, tag_id: int) -> list[tuple[int, int]]:
    """Delete a tag and its applications; the (table id, record id) it was on."""
    changes.touching(conn, tags, tag_id)
    rt = record_tags.c
    on = [
        (int(t), int(r))
        for t, r in conn.execute(sa.select(rt.table_id, rt.record_id).where(rt.tag_id == tag_id))
    ]
    conn.execute(sa.delete(record_tags).where(rt.tag_id == tag_id))
    conn.execute(sa.delete(tags).where(tags.c.id == tag_id))
    return on


# -- tags on records --------------------------------------------------------------------------
def of_records(
    conn: sa.Connection, table_id: int, record_ids: Sequence[int]
) -> dict[int, list[Any]]:
    """Each record's tags (rows with the tag's ``id``, ``name``, ``colour``, ``group`` and the
    application's ``source``), in the vocabulary's order."""
    rt, t = record_tags.c, tags.c
    out: dict[int, list[Any]] = {rid: [] for rid in record_ids}
    for part in _chunks(list(record_ids)):
        q = (
            sa.select(
                rt.record_id,
                t.id,
                t.name,
                t.colour,
                t.group,
                t.description,
                rt.source,
                rt.created_at,
            )
            .join(tags, t.id == rt.tag_id)
            .where(rt.table_id == table_id, rt.record_id.in_(list(part)))
            .order_by(rt.record_id, t.group, t.position, t.name, t.id)
        )
        for r in conn.execute(q):
            out[int(r.record_id)].append(r)
    return out


def apply(
    conn: sa.Connection,
    table_id: int,
    record_ids: Sequence[int],
    add: Sequence[int],
    remove: Sequence[int],
    source: str,
    actor_id: int | None,
    now: datetime,
) -> dict[int, tuple[list[int], list[int]]]:
    """Add ``add`` to and remove ``remove`` from each record (a tag in both is added); per
    record that changed, (the tag ids added, the tag ids removed)."""
    rt = record_tags.c
    remove = [x for x in remove if x not in set(add)]
    wanted = list(dict.fromkeys([*add, *remove]))
    have: dict[int, set[int]] = {rid: set() for rid in record_ids}
    if wanted:
        for part in _chunks(list(record_ids)):
            q = sa.select(rt.record_id, rt.tag_id).where(
                rt.table_id == table_id,
                rt.record_id.in_(list(part)),
                rt.tag_id.in_(wanted),
            )
            for rid, tid in conn.execute(q):
                have[int(rid)].add(int(tid))
    rows: list[dict[str, Any]] = []
    gone: list[tuple[int, int]] = []
    out: dict[int, tuple[list[int], list[int]]] = {}
    for rid in record_ids:
        added = [tid for tid in add if tid not in have[rid]]
        removed = [tid for tid in remove if tid in have[rid]]
        if added or removed:
            out[rid] = (added, removed)
        rows += [
            {
                "table_id": table_id,
                "record_id": rid,
                "tag_id": tid,
                "source": source,
                "created_at": now,
                "created_by": actor_id,
            }
            for tid in added
        ]
        gone += [(rid, tid) for tid in removed]
    if rows:
        conn.execute(sa.insert(record_tags), rows)
    for rid, tid in gone:
        conn.execute(
            sa.delete(record_tags).where(
                rt.table_id == table_id, rt.record_id == rid, rt.tag_id == tid
            )
        )
    return out


def tag_ids_of(conn: sa.Connection, table_id: int, record_id: int) -> list[int]:
    rt = record_tags.c
    q = sa.select(rt.tag_id).where(rt.table_id == table_id, rt.record_id == record_id)
    return [int(x) for x in conn.execute(q).scalars()]


def drop_records(conn: sa.Connection, table_id: int, record_ids: Sequence[int]) -> None:
    """Forget the tags of records deleted for good."""
    rt = record_tags.c
    for part in _chunks(list(record_ids)):
        conn.execute(
            sa.delete(record_tags).where(rt.table_id == table_id, rt.record_id.in_(list(part)))
        )


def versions(conn: sa.Connection, s: TableSchema, record_ids: Sequence[int]) -> dict[int, int]:
    """The records' versions (a tag change is logged at the record's version)."""
    t = s.sa_table
    out: dict[int, int] = {}
    for part in _chunks(list(record_ids)):
        q = sa.select(t.c.id, t.c.version).where(t.c.id.in_(list(part)))
        out.update({int(i): int(v) for i, v in conn.execute(q)})
    return out
