"""What a One-ID merge re-points from the loser to the survivor, and how unmerge moves exactly
that back.

Everything in the schema that names a record of a table by its id (there are no foreign-key
columns on record tables: every relation keeps its links in a junction table):

- ``junction``: the links of every relation touching the table (the loser on the source side
  of relations defined on its table, on the target side of relations pointing at its table,
  both for a self-relation), so the survivor gets the loser's orders, vehicles, contacts…;
  a link the survivor has already, a link to the survivor itself, and a second link where the
  survivor may hold one only (a single relation it has filled) are dropped (``dropped``);
- ``rows``: the loser's live sub-form rows, appended after the survivor's;
- ``comments``: the loser's comments (``record_comments``);
- ``interactions``: the loser's calls, visits … (``interactions``: the survivor's timeline and
  inactivity count them);
- ``process``: process instances and their tasks run on the loser (``process_instances``,
  ``tasks``);
- ``tags``: the loser's tags the survivor does not carry yet (``record_tags``; one it carries
  already stays with the loser).

Kept with the loser: its history (its own changes), the rule run log, deliveries and
notifications (logs of what happened to it), the fired-once marks of date rules, and its
files (attachments are field values: survivorship unites them).

Each entry of the returned ``moved`` list says exactly what moved (ids, or the other side's ids
of links), so unmerge moves back those and nothing else, even after both records were edited;
what was deleted or re-linked since is skipped and reported."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.meta import Field
from cairn.store import system
from cairn.store.catalog import Catalog, TableSchema
from cairn.store.tables.interactions import interactions as interactions_table
from cairn.store.tables.tags import record_tags


@dataclass
class Touched:
    """Records of other tables whose links a move changed, by table id (their versions move)."""

    ids: dict[int, set[int]] = field(default_factory=dict)

    def add(self, table_id: int, ids: Any) -> None:
        if ids:
            self.ids.setdefault(table_id, set()).update(ids)


@dataclass(frozen=True)
class Side:
    """One side of a junction that holds records of the merged table."""

    owner: Field
    column: str
    other_column: str
    #: The other side's table.
    other_table: int
    #: This side holds one link at most (a single relation on this side).
    single: bool


def junction_sides(cat: Catalog, s: TableSchema) -> Iterator[Side]:
    """Every junction side that names records of ``s`` (live relations only)."""
    for f in cat.all_fields.values():
        if not f.is_relation or f.deleted_at is not None or f.options.get("reverse_of"):
            continue
        if f.table_id not in cat.schemas:
            continue
        target = int(f.options["target_table_id"])
        rev_id = f.options.get("reverse_field_id")
        rev = cat.all_fields.get(int(rev_id)) if rev_id else None
        single_src = not f.options.get("multiple", True)
        single_dst = rev is not None and not rev.options.get("multiple", True)
        if f.table_id == s.id:
            yield Side(f, "src_id", "dst_id", target, single_src)
        if target == s.id:
            yield Side(f, "dst_id", "src_id", f.table_id, single_dst)


def _others(conn: sa.Connection, j: sa.Table, side: Side, record_id: int) -> list[int]:
    q = sa.select(j.c[side.other_column]).where(j.c[side.column] == record_id)
    return sorted(conn.execute(q).scalars())


def move_links(
    conn: sa.Connection, cat: Catalog, s: TableSchema, loser: int, survivor: int, touched: Touched
) -> list[dict[str, Any]]:
    moved: list[dict[str, Any]] = []
    for side in junction_sides(cat, s):
        j = cat.junction(side.owner)
        mine, other = j.c[side.column], j.c[side.other_column]
        theirs = _others(conn, j, side, loser)
        if not theirs:
            continue
        has = set(_others(conn, j, side, survivor))
        self_rel = side.other_table == s.id
        keep, drop = [], []
        for o in theirs:
            if o in has or (self_rel and o in (loser, survivor)) or (side.single and has):
                drop.append(o)
            else:
                keep.append(o)
        if drop:
            conn.execute(sa.delete(j).where(mine == loser, other.in_(drop)))
        if keep:
            conn.execute(
                sa.update(j).where(mine == loser, other.in_(keep)).values({mine: survivor})
            )
        base = {"field": side.owner.id, "column": side.column, "table": side.other_table}
        moved.append({"kind": "junction", **base, "ids": keep, "dropped": drop})
        touched.add(side.other_table, [o for o in keep + drop if not (self_rel and o == loser)])
    return moved


def move_rows(
    conn: sa.Connection, s: TableSchema, loser: int, survivor: int, now: datetime, actor: int | None
) -> list[dict[str, Any]]:
    moved = []
    for child in s.subforms.values():
        t = child.sa_table
        live = t.c.deleted_at.is_(None)
        rows = conn.execute(
            sa.select(t.c.id, t.c.position)
            .where(t.c.parent_id == loser, live)
            .order_by(t.c.position, t.c.id)
        ).all()
        if not rows:
            continue
        top = conn.execute(
            sa.select(sa.func.max(t.c.position)).where(t.c.parent_id == survivor, live)
        ).scalar()
        start = (top or 0) + 1
        for i, r in enumerate(rows):
            conn.execute(
                sa.update(t)
                .where(t.c.id == r.id)
                .values(
                    parent_id=survivor,
                    position=start + i,
                    version=t.c.version + 1,
                    updated_at=now,
                    updated_by=actor,
                )
            )
        moved.append(
            {
                "kind": "rows",
                "table": child.id,
                "ids": [r.id for r in rows],
                "positions": [r.position for r in rows],
            }
        )
    return moved


#: System tables naming a record by (table_id, record_id) that a merge re-points.
RECORD_LINKS: dict[str, sa.Table] = {
    "comments": system.record_comments,
    "interactions": interactions_table,
    "process": system.process_instances,
    "tasks": system.tasks,
}


def move_record_links(
    conn: sa.Connection, s: TableSchema, loser: int, survivor: int
) -> list[dict[str, Any]]:
    moved = []
    for kind, t in RECORD_LINKS.items():
        where = (t.c.table_id == s.id, t.c.record_id == loser)
        ids = sorted(conn.execute(sa.select(t.c.id).where(*where)).scalars())
        if ids:
            conn.execute(sa.update(t).where(t.c.id.in_(ids)).values(record_id=survivor))
            moved.append({"kind": kind, "ids": ids})
    return moved


def move_tags(
    conn: sa.Connection, s: TableSchema, loser: int, survivor: int
) -> list[dict[str, Any]]:
    rt = record_tags.c
    held = sa.select(rt.tag_id).where(rt.table_id == s.id, rt.record_id == survivor)
    q = sa.select(rt.id).where(rt.table_id == s.id, rt.record_id == loser, rt.tag_id.not_in(held))
    ids = sorted(conn.execute(q).scalars())
    if not ids:
        return []
    conn.execute(sa.update(record_tags).where(rt.id.in_(ids)).values(record_id=survivor))
    return [{"kind": "tags", "ids": ids}]


def move_all(
    conn: sa.Connection,
    cat: Catalog,
    s: TableSchema,
    loser: int,
    survivor: int,
    now: datetime,
    actor: int | None,
    touched: Touched,
) -> list[dict[str, Any]]:
    """Re-point everything the loser has to the survivor; returns what moved."""
    return (
        move_links(conn, cat, s, loser, survivor, touched)
        + move_rows(conn, s, loser, survivor, now, actor)
        + move_record_links(conn, s, loser, survivor)
        + move_tags(conn, s, loser, survivor)
    )


def related(
    conn: sa.Connection, cat: Catalog, s: TableSchema, loser: int, survivor: int | None = None
) -> list[dict[str, Any]]:
    """What of the loser's a merge would move: per related table (links, sub-form rows) or
    kind (comments, process instances, tasks, tags the survivor lacks), how many."""
    out: list[dict[str, Any]] = []
    for side in junction_sides(cat, s):
        j = cat.junction(side.owner)
        q = sa.select(sa.func.count()).select_from(j).where(j.c[side.column] == loser)
        n = conn.execute(q).scalar_one()
        other = cat.schemas.get(side.other_table)
        if n and other is not None:
            label = other.table.name
            if other.parent is not None:
                label = f"{other.parent.table.name} · {label}"
            out.append({"kind": "links", "table": other.table.key, "label": label, "count": n})
    for child in s.subforms.values():
        t = child.sa_table
        q = sa.select(sa.func.count()).where(t.c.parent_id == loser, t.c.deleted_at.is_(None))
        n = conn.execute(q).scalar_one()
        if n:
            row = {"kind": "rows", "table": child.table.key, "label": child.table.name}
            out.append({**row, "count": n})
    for kind, t in RECORD_LINKS.items():
        q = sa.select(sa.func.count()).where(t.c.table_id == s.id, t.c.record_id == loser)
        n = conn.execute(q).scalar_one()
        if n:
            out.append({"kind": kind, "table": None, "label": kind, "count": n})
    rt = record_tags.c
    held = sa.select(rt.tag_id).where(rt.table_id == s.id, rt.record_id == (survivor or 0))
    q = sa.select(sa.func.count()).where(
        rt.table_id == s.id, rt.record_id == loser, rt.tag_id.not_in(held)
    )
    n = conn.execute(q).scalar_one()
    if n:
        out.append({"kind": "tags", "table": None, "label": "tags", "count": n})
    return out


# -- unmerge ----------------------------------------------------------------------------------


def move_back(
    conn: sa.Connection,
    cat: Catalog,
    s: TableSchema,
    moved: list[dict[str, Any]],
    loser: int,
    survivor: int,
    now: datetime,
    actor: int | None,
    touched: Touched,
) -> list[dict[str, Any]]:
    """Move back exactly what ``moved`` lists; returns what could not be (gone or re-linked
    since), as ``{"kind", "ids", ...}`` entries."""
    skipped: list[dict[str, Any]] = []
    for entry in moved:
        kind = entry["kind"]
        if kind == "junction":
            skipped += _links_back(conn, cat, entry, loser, survivor, touched)
        elif kind == "rows":
            child = next((c for c in s.subforms.values() if c.id == entry["table"]), None)
            if child is None:
                skipped.append({"kind": kind, "table": entry["table"], "ids": entry["ids"]})
                continue
            skipped += _rows_back(conn, child, entry, loser, survivor, now, actor)
        elif kind in RECORD_LINKS or kind == "tags":
            t = RECORD_LINKS.get(kind, record_tags)
            where = (t.c.id.in_(entry["ids"]), t.c.table_id == s.id, t.c.record_id == survivor)
            back = set(conn.execute(sa.select(t.c.id).where(*where)).scalars())
            if back:
                conn.execute(sa.update(t).where(t.c.id.in_(back)).values(record_id=loser))
            lost = [i for i in entry["ids"] if i not in back]
            if lost:
                skipped.append({"kind": kind, "ids": lost})
    return skipped


def _links_back(
    conn: sa.Connection,
    cat: Catalog,
    entry: dict[str, Any],
    loser: int,
    survivor: int,
    touched: Touched,
) -> list[dict[str, Any]]:
    owner = cat.all_fields.get(entry["field"])
    gone = {"kind": "junction", "field": entry["field"], "table": entry["table"]}
    if owner is None or owner.deleted_at is not None:
        ids = entry["ids"] + entry["dropped"]
        return [{**gone, "ids": ids}] if ids else []
    j = cat.junction(owner)
    col = entry["column"]
    other_col = "dst_id" if col == "src_id" else "src_id"
    mine, other = j.c[col], j.c[other_col]
    lost: list[int] = []
    keep = entry["ids"]
    if keep:
        held = set(
            conn.execute(sa.select(other).where(mine == survivor, other.in_(keep))).scalars()
        )
        if held:
            conn.execute(sa.update(j).where(mine == survivor, other.in_(held)).values({col: loser}))
        lost += [o for o in keep if o not in held]
    for o in entry["dropped"]:
        exists = conn.execute(
            sa.select(sa.func.count()).select_from(j).where(mine == loser, other == o)
        ).scalar()
        if exists:
            continue
        try:
            with conn.begin_nested():
                conn.execute(sa.insert(j).values({col: loser, other_col: o}))
        except sa.exc.IntegrityError:  # the other record links elsewhere now (a single side)
            lost.append(o)
    touched.add(entry["table"], [o for o in keep + entry["dropped"] if o not in lost])
    return [{**gone, "ids": lost}] if lost else []


def _rows_back(
    conn: sa.Connection,
    child: TableSchema,
    entry: dict[str, Any],
    loser: int,
    survivor: int,
    now: datetime,
    actor: int | None,
) -> list[dict[str, Any]]:
    t = child.sa_table
    ids = entry["ids"]
    live = set(
        conn.execute(
            sa.select(t.c.id).where(
                t.c.id.in_(ids), t.c.parent_id == survivor, t.c.deleted_at.is_(None)
            )
        ).scalars()
    )
    for rid, pos in zip(ids, entry["positions"], strict=True):
        if rid in live:
            conn.execute(
                sa.update(t)
                .where(t.c.id == rid)
                .values(
                    parent_id=loser,
                    position=pos,
                    version=t.c.version + 1,
                    updated_at=now,
                    updated_by=actor,
                )
            )
    lost = [i for i in ids if i not in live]
    return [{"kind": "rows", "table": child.id, "ids": lost}] if lost else []
