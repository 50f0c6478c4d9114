"""Sub-form rows in a records write: each parent's list coerced with the fields of the rows'
table, checked against the rows the parent has, and written in the parent's transaction.

A write sends a sub-form's whole list. A row with an ``id`` (one of this parent's live rows,
else 422) is updated only where a value differs; a row without one is inserted; a live row
the list leaves out is removed. Errors are keyed ``<field key>.<row index>.<column key>``
(under ``records.<i>.`` in a bulk write).

Order: ``position`` grows along the list, with gaps (``GAP``), so a row added, moved or
removed rewrites that row only: the rows that keep their relative order keep their positions
(the longest run of them), the others get one between their neighbours, and only when no
integer is left there is the whole list renumbered.

Removal is a soft delete with ``position`` cleared: the values stay, and the parent's
history keeps them. Deleting the parent soft-deletes its live rows keeping their positions;
restoring it brings back exactly those (a row removed earlier stays removed).

The parent's history, audit entry and event carry a sub-form change as any field's
``[before, after]``: ``before`` the old state of the rows removed, changed or moved, ``after``
the new state of the rows added, changed or moved, each ``{"id", <column>: value …}`` with
only the columns that changed (all of them for a row added or removed) and ``position`` (its
index in the list; before: in the old list) for a row added or moved. History keys columns
by field id (as it keys fields), the audit log and events by key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.core import FieldErrors, Invalid, Message, is_id
from cairn.meta import Field
from cairn.meta.values import json_value
from cairn.store import records
from cairn.store.catalog import Catalog, TableSchema
from cairn.store.record_input import (
    Prepared,
    coerce_into,
    create_plan,
    input_plan,
    prepare_create,
)
from cairn.store.record_writes import insert_prepared, update_prepared
from cairn.store.relations import old_links
from cairn.store.sensitive import sealed
from cairn.store.subform_rows import GAP, live_rows, place, remove_rows


@dataclass
class RowList:
    """One parent's list for one sub-form field, as a write sends it."""

    field: Field
    child: TableSchema
    parent: Prepared
    #: Where the list's errors show: ``<parent's prefix><field key>.``
    prefix: str
    #: The rows in list order, coerced (a row with ``record_id`` is an existing one).
    rows: list[Prepared] = field(default_factory=list)


class SubformWrite:
    """The sub-form lists of one records write (``items``: its creates and updates)."""

    def __init__(self, s: TableSchema, items: Sequence[Prepared]) -> None:
        self.s = s
        self.items = [p for p in items if p.rows]
        self.lists: list[RowList] = []
        #: Per rows' table: every row of the write, ``Prepared.index`` its place here.
        self.rows_of: dict[int, list[Prepared]] = {}
        #: Per rows' table, per row index: where that row's errors show.
        self.at: dict[int, list[str]] = {}
        #: Per (field id, parent id): the parent's live rows, in order.
        self.existing: dict[tuple[int, int], list[Any]] = {}

    @property
    def active(self) -> bool:
        return bool(self.items)

    # -- input -------------------------------------------------------------------------------
    def prepare(self, errors: FieldErrors, prefix_of: Any) -> None:
        """Coerce every row's cells with the fields of the rows' table. ``prefix_of(p)``:
        where parent ``p``'s errors show."""
        plans: dict[int, tuple[Any, Any]] = {}
        for p in self.items:
            for fid, raw in list(p.rows.items()):
                f = self.s.by_id[fid]
                child = self.s.subforms[fid]
                if child.id not in plans:
                    plans[child.id] = (input_plan(child), create_plan(child))
                inputs, plan = plans[child.id]
                rl = RowList(f, child, p, f"{prefix_of(p)}{f.key}.")
                rows = self.rows_of.setdefault(child.id, [])
                at = self.at.setdefault(child.id, [])
                seen: set[int] = set()
                for i, item in enumerate(raw):
                    where = f"{rl.prefix}{i}."
                    if not isinstance(item, dict):
                        errors.add(f"{rl.prefix}{i}", Message("subform.row_shape"))
                        continue
                    rid = item.get("id")
                    if rid is None:
                        body = {k: v for k, v in item.items() if k != "id"}
                        row = prepare_create(child, body, len(rows), errors, where, plan, inputs)
                    else:
                        if not is_id(rid):
                            errors.add(where + "id", Message("value.integer"))
                            continue
                        if rid in seen:
                            errors.add(where + "id", Message("subform.row_twice", {"id": rid}))
                            continue
                        seen.add(rid)
                        row = Prepared(len(rows), rid)
                        coerce_into(item, row, errors, where, inputs)
                        for cf in child.fields:
                            if cf.required and row.has(cf.id) and _blank(row.value(cf.id)):
                                errors.add(where + cf.key, Message("field.required"))
                    rows.append(row)
                    at.append(where)
                    rl.rows.append(row)
                p.rows[fid] = rl.rows
                self.lists.append(rl)

    def load(self, conn: sa.Connection) -> None:
        """The live rows of the updated parents (one query per field and 500 parents), and
        each row written with an id checked to be one of them."""
        wanted: dict[int, list[int]] = {}
        for rl in self.lists:
            if rl.parent.record_id is not None:
                wanted.setdefault(rl.field.id, []).append(rl.parent.record_id)
        for fid, parent_ids in wanted.items():
            child = self.s.subforms[fid]
            for pid, rows in live_rows(conn, child, parent_ids).items():
                self.existing[(fid, pid)] = rows

    def check_ids(self, errors: FieldErrors) -> None:
        for rl in self.lists:
            pid = rl.parent.record_id
            have = {r.id: r for r in self.existing.get((rl.field.id, pid), [])} if pid else {}
            for i, row in enumerate(rl.rows):
                if row.record_id is None:
                    continue
                current = have.get(row.record_id)
                if current is None:
                    errors.add(
                        f"{rl.prefix}{i}.id", Message("subform.row_unknown", {"id": row.record_id})
                    )
                else:
                    row.version = current.version

    # -- checks that need the database (the caller runs them per rows' table) ------------------
    def tables(self) -> list[tuple[TableSchema, list[Prepared]]]:
        """Each rows' table with every row the write sends it (creates and updates)."""
        out = []
        for fid, child in self.s.subforms.items():
            rows = self.rows_of.get(child.id)
            if rows and any(rl.field.id == fid for rl in self.lists):
                out.append((child, rows))
        return out

    def current(self, child: TableSchema) -> dict[int, Any]:
        """The rows of ``child`` as they are, by id (the updated ones and those left out)."""
        fid = child.parent_field.id if child.parent_field else 0
        return {r.id: r for (f, _), rows in self.existing.items() if f == fid for r in rows}

    def removed_ids(self, child: TableSchema) -> list[int]:
        """The rows of ``child`` the write removes."""
        fid = child.parent_field.id if child.parent_field else 0
        out = []
        for rl in self.lists:
            if rl.field.id != fid or rl.parent.record_id is None:
                continue
            kept = {r.record_id for r in rl.rows}
            out += [
                r.id for r in self.existing.get((fid, rl.parent.record_id), []) if r.id not in kept
            ]
        return out

    def relocate(self, child: TableSchema, into: FieldErrors, found: Invalid | FieldErrors) -> None:
        """Errors a records check gave about ``child``'s rows as a batch (``records.<row>.…``)
        moved to where each row sits in its parent (``<field>.<row index>.…``)."""
        at = self.at.get(child.id, [])
        errors = found.field_errors if isinstance(found, Invalid) else found.errors
        for loc, messages in errors.items():
            head, _, rest = loc.partition(".")
            index, _, rest = rest.partition(".")
            if head == "records" and index.isdecimal() and int(index) < len(at):
                loc = at[int(index)] + rest if rest else at[int(index)].rstrip(".")
            for m in messages:
                into.add(loc, m)

    # -- writing -----------------------------------------------------------------------------
    def insert_created(
        self, conn: sa.Connection, cat: Catalog, now: datetime, actor_id: int | None
    ) -> None:
        """The rows of created parents (their ids set): one insert per rows' table."""
        per: dict[int, tuple[TableSchema, list[Prepared], list[int], list[int]]] = {}
        for rl in self.lists:
            if rl.parent.version is not None or not rl.rows:  # an update, or no rows
                continue
            _, rows, parents, positions = per.setdefault(rl.child.id, (rl.child, [], [], []))
            rows += rl.rows
            parents += [rl.parent.record_id] * len(rl.rows)  # type: ignore[list-item]
            positions += [GAP * (i + 1) for i in range(len(rl.rows))]
        for child, rows, parents, positions in per.values():
            extra = {"parent_id": parents, "position": positions}
            insert_prepared(conn, cat, child, rows, now, actor_id, extra)

    def created_values(self, p: Prepared) -> dict[str, Any]:
        """The rows of created parent ``p`` as its audit entry keeps them: ``{key: [None,
        rows]}``."""
        out = {}
        for rl in self.lists:
            if rl.parent is p and rl.rows:
                out[rl.field.key] = [None, [_row_values(rl.child, r, by_key=True) for r in rl.rows]]
        return out

    def update(
        self,
        conn: sa.Connection,
        cat: Catalog,
        p: Prepared,
        now: datetime,
        actor_id: int | None,
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """Write updated parent ``p``'s lists; the changes by field id (history) and by key
        (audit, event), None when no row changed."""
        changes: dict[str, Any] = {}
        key_changes: dict[str, Any] = {}
        for rl in self.lists:
            if rl.parent is not p:
                continue
            pair = self._write_list(conn, cat, rl, now, actor_id)
            if pair is not None:
                changes[str(rl.field.id)] = pair[0]
                key_changes[rl.field.key] = pair[1]
        return (changes, key_changes) if changes else None

    def _write_list(
        self,
        conn: sa.Connection,
        cat: Catalog,
        rl: RowList,
        now: datetime,
        actor_id: int | None,
    ) -> tuple[list[Any], list[Any]] | None:
        child, pid = rl.child, rl.parent.record_id
        existing = self.existing.get((rl.field.id, pid), [])  # type: ignore[arg-type]
        by_id = {r.id: r for r in existing}
        old_index = {r.id: i for i, r in enumerate(existing)}
        kept = {r.record_id for r in rl.rows if r.record_id is not None}
        removed = [r for r in existing if r.id not in kept]
        old = [by_id[r.record_id].position if r.record_id else None for r in rl.rows]
        new = place(old)
        # [by id, by key] of the before and after entries.
        before: list[list[dict[str, Any]]] = [[], []]
        after: list[list[dict[str, Any]]] = [[], []]
        if removed:
            links = _links(conn, cat, child, [r.id for r in removed])
            remove_rows(conn, child, [r.id for r in removed], now, actor_id)
            for r in removed:
                before[0].append(_stored_values(child, r, links, by_key=False))
                before[1].append(_stored_values(child, r, links, by_key=True))
        updated = [r for r in rl.rows if r.record_id is not None]
        olinks = old_links(conn, cat, child, updated) if updated else {}
        for i, row in enumerate(rl.rows):
            if row.record_id is None:
                continue
            moved = new[i] != old[i]
            extra = {"position": new[i]} if moved else None
            current = by_id[row.record_id]
            written = update_prepared(
                conn, cat, child, row, current, olinks, now, actor_id, extra=extra
            )
            if written is None:
                continue
            _, by_fid, by_key = written
            b: list[dict[str, Any]] = [{"id": row.record_id}, {"id": row.record_id}]
            a: list[dict[str, Any]] = [{"id": row.record_id}, {"id": row.record_id}]
            for k in (0, 1):
                for name, (was, now_) in (by_fid if k == 0 else by_key).items():
                    b[k][name], a[k][name] = was, now_
                if moved:
                    b[k]["position"], a[k]["position"] = old_index[row.record_id], i
            for k in (0, 1):
                before[k].append(b[k])
                after[k].append(a[k])
        added = [(i, r) for i, r in enumerate(rl.rows) if r.record_id is None]
        if added:
            extra_cols = {"parent_id": [pid] * len(added), "position": [new[i] for i, _ in added]}
            insert_prepared(conn, cat, child, [r for _, r in added], now, actor_id, extra_cols)
            for i, r in added:
                after[0].append({**_row_values(child, r, by_key=False), "position": i})
                after[1].append({**_row_values(child, r, by_key=True), "position": i})
        if not before[0] and not after[0]:
            return None
        return [before[0], after[0]], [before[1], after[1]]


# -- values as history and events show them ------------------------------------------------------


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "") or v == []


def _row_values(child: TableSchema, row: Prepared, *, by_key: bool) -> dict[str, Any]:
    """A written row's values (the blank ones left out), by column id or key."""
    out: dict[str, Any] = {"id": row.record_id}
    for fid, v in row.columns.items():
        if v is None:
            continue
        f = child.by_id[fid]
        d = child.dumpers.get(fid)
        out[f.key if by_key else str(fid)] = (
            sealed(v) if fid in child.sealers else d(v) if d else json_value(v)
        )
    for fid, v in row.links.items():
        if v:
            out[child.by_id[fid].key if by_key else str(fid)] = v
    return out


def _stored_values(
    child: TableSchema, row: Any, links: dict[int, dict[int, list[int]]], *, by_key: bool
) -> dict[str, Any]:
    """A row's values as stored (the blank ones left out), by column id or key."""
    m = row._mapping
    out: dict[str, Any] = {"id": row.id}
    for f in child.fields:
        ft = child.types[f.id]
        name = f.key if by_key else str(f.id)
        if ft.stored:
            v = m[f.column_name]
            if v is None:
                continue
            if f.id in child.sealers:
                out[name] = sealed(v)
                continue
            d = child.dumpers.get(f.id)
            out[name] = d(v) if d else json_value(v)
        elif f.is_relation and links.get(f.id, {}).get(row.id):
            out[name] = links[f.id][row.id]
    return out


def _links(
    conn: sa.Connection, cat: Catalog, child: TableSchema, ids: list[int]
) -> dict[int, dict[int, list[int]]]:
    return {f.id: records.read_links(conn, cat, f, ids) for f in child.fields if f.is_relation}
