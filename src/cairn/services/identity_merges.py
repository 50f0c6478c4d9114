"""One-ID merges: merge, unmerge and the merges of a record (issue 21); the preview is in
``services.merge_preview``, the checks of the pair in ``services.merge_pairs``, the values in
``services.merge_values``.

A merge folds the ``loser`` into the ``survivor`` (two live records of one table) in one
transaction:

1. who: the principal may update both records (table permission and row scope; a record
   they cannot read is "not found", one they read but may not update is 403), and may write
   every field whose value changes;
2. every related record, link, sub-form row, comment and process instance of the loser is
   re-pointed to the survivor (``store.merge_moves`` lists exactly what and records it);
3. the loser becomes a tombstone: soft-deleted, kept out of the recycle bin, resolving to
   the survivor (``GET /records/{loser}`` answers with the survivor and ``merged_into``; a
   link written later with the loser's id is written to the survivor);
4. the survivor's values chosen by survivorship (or by hand) are written through the normal
   update path (validation, unique values, history, outbox);
5. one ``identity_merges`` row (both records' values before, the choices, what moved), one
   audit entry ``record.merge``, one ``record.merged`` event; the pair's duplicate
   suggestion becomes ``merged``.

Concurrent merges of one record: both rows are locked in id order; the second finds a
tombstone (or a version it did not expect) and gets 409.

Unmerge (``unmerge``) restores the loser with its own values (its row was never changed),
moves back exactly what moved, even after both records were edited (what was deleted or
re-linked since is skipped and reported in ``skipped``), and gives back to the survivor the
pre-merge value of every field whose value the merge brought in **and that is unchanged
since**; a field edited after the merge keeps its edit. A merge whose survivor was merged
again later is refused (undo the later merge first). The pair's suggestion becomes
``not_same``, so it is not suggested again.

``merge_auto`` merges pairs of duplicate suggestions without a dialog (auto-merge rules, the
"find duplicates" job)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Entry, Principal
from cairn.auth.guard import guard
from cairn.core import CairnError, Conflict, Event, Forbidden, Invalid, NotFound
from cairn.core import events as ev
from cairn.identity.merge_plan import plan
from cairn.identity.resolve import Resolver
from cairn.identity.survivorship import SURVIVOR, same
from cairn.services.merge_pairs import (
    checked_pair,
    moved_counts,
    pair_ids,
    public,
    system_view,
)
from cairn.services.merge_preview import MergePreviews
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import TableSchema, data_versions, history, records
from cairn.store import identity as identity_store
from cairn.store import merges as store
from cairn.store.merge_moves import Touched, move_all, move_back
from cairn.store.sensitive import sealed
from cairn.store.subform_rows import restore_with_parent
from cairn.store.unique import check_restorable

if TYPE_CHECKING:
    from cairn.services.context import Services

MAX_LIST = 200
#: The statuses of a suggestion ``merge_auto`` merges: an auto-merge rule's, or one a person
#: has not decided yet.
AUTO_MERGEABLE = ("auto", "open", "later")


class MergeService(MergePreviews):
    def __init__(self, services: Services) -> None:
        self.s = services

    # -- merge ----------------------------------------------------------------------------
    def merge(
        self,
        app: str,
        table: str,
        survivor_id: Any,
        loser_id: Any,
        principal: Principal = SYSTEM,
        choices: dict[str, Any] | None = None,
        suggestion_id: int | None = None,
        survivor_version: int | None = None,
        loser_version: int | None = None,
        loser_table: str | None = None,
    ) -> dict[str, Any]:
        sid, lid = pair_ids(survivor_id, loser_id)
        with unit_of_work(self.s, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            if loser_table is not None and loser_table != table:
                other = uow.catalog.table(app, loser_table)
                raise Invalid.on(
                    "loser_table", "merge.other_table", table=s.table.name, other=other.table.name
                )
            return self.merge_in(
                uow, s, sid, lid, choices, suggestion_id, survivor_version, loser_version
            )

    def merge_in(
        self,
        uow: UnitOfWork,
        s: TableSchema,
        sid: int,
        lid: int,
        choices: dict[str, Any] | None = None,
        suggestion_id: int | None = None,
        survivor_version: int | None = None,
        loser_version: int | None = None,
    ) -> dict[str, Any]:
        """A merge in the caller's unit of work (whose principal merges)."""
        conn = uow.conn
        pair = checked_pair(uow, s, sid, lid, lock=True)
        for row, expected in ((pair.survivor, survivor_version), (pair.loser, loser_version)):
            if expected is not None and expected != row.version:
                raise Conflict("record.stale", expected=expected, actual=row.version)
        if suggestion_id is not None:
            sug = store.suggestion(conn, suggestion_id)
            if sug is None or sug.table_id != s.id or {sug.record_a, sug.record_b} != {sid, lid}:
                raise Invalid.on("suggestion_id", "merge.suggestion", id=suggestion_id)
        system = system_view(uow)
        values = {r["id"]: r for r in self.s.records.read_rows(system, s, [sid, lid])}
        sv, lv = values[sid], values[lid]
        p = plan(s, sv, lv, choices)
        guard(uow).check_writable(s, p.update)
        touched = Touched()
        moved = move_all(conn, uow.catalog, s, lid, sid, uow.now, uow.actor_id, touched)
        v = records.update_row(
            conn, s, lid, pair.loser.version, {}, uow.now, uow.actor_id, deleted_at=uow.now
        )
        history.append(conn, [history.entry(s.id, lid, v, "delete", {}, uow.actor_id, uow.now)])
        identity_store.drop_blocks(conn, s.id, [lid])  # a tombstone is no candidate
        version = self._write_survivor(uow, system, s, sid, pair.survivor.version, p.update)
        self._bump_related(uow, s, touched, {sid, lid})
        kept = {
            str(s.by_key[k].id): {"key": k, "origin": pr.origin, "value": pr.value}
            for k, pr in p.proposals.items()
            if k in p.update or (pr.origin != SURVIVOR and s.by_key[k].is_relation)
        }
        merged_values = store.seal_values(s, {c["key"]: c["value"] for c in kept.values()})
        for c in kept.values():
            c["value"] = merged_values[c["key"]]
        merge_id = store.insert(
            conn,
            table_id=s.id,
            survivor_id=sid,
            loser_id=lid,
            status=store.MERGED,
            loser_values=store.seal_values(s, lv),
            survivor_values=store.seal_values(s, sv),
            choices=kept,
            moved=moved,
            suggestion_id=suggestion_id,
            merged_by=uow.actor_id,
            merged_at=uow.now,
        )
        store.decide_pair(conn, s.id, sid, lid, "merged", uow.actor_id, uow.now)
        # The tombstone's other undecided pairs go; the survivor, now holding both records'
        # values, is matched again (its pairs with third records are the loser's old ones):
        # by the update path when values were written, here when only links moved.
        identity_store.drop_open_suggestions(conn, s.id, [lid])
        if not p.update:
            Resolver(uow).written(s, [sid])
        details = {
            "merge_id": merge_id,
            "survivor_id": sid,
            "loser_id": lid,
            "version": version,
            "changes": _shown(s, {k: [sv.get(k), val] for k, val in p.update.items()}),
            "moved": moved_counts(moved),
        }
        uow.audit(Entry("record.merge", "record", sid, s.app.id, s.id, details))
        payload = {"survivor_id": sid, "loser_id": lid, "merge_id": merge_id, "table": s.table.key}
        uow.emit(Event(ev.RECORD_MERGED, s.app.id, s.id, sid, payload, uow.actor_id))
        row = store.get(conn, merge_id)
        return public(s, row)

    def _write_survivor(
        self,
        uow: UnitOfWork,
        system: UnitOfWork,
        s: TableSchema,
        sid: int,
        version: int,
        update: dict[str, Any],
    ) -> int:
        """The survivor's new values through the normal update path (as the system: the
        principal's right to each field was checked); its version moves in any case, since
        its links, rows or comments changed."""
        if not update:
            return records.bump_versions(uow.conn, s, [sid], uow.now, uow.actor_id)[sid]
        item = {**update, "id": sid, "version": version}
        written = self.s.records.bulk_in(system, s.app.key, s.table.key, [item], single=True)
        uow.adopt(system)
        return int(written["items"][0]["version"])

    @staticmethod
    def _bump_related(uow: UnitOfWork, s: TableSchema, touched: Touched, pair: set[int]) -> None:
        """The records whose links moved get a new version (an edit based on the old links is
        stale), and their tables' data versions move (caches of reports and counts)."""
        tables = set()
        for table_id, ids in touched.ids.items():
            ts = uow.catalog.schemas.get(table_id)
            ids = ids - pair if table_id == s.id else ids
            if ts is None or not ids:
                continue
            records.bump_versions(uow.conn, ts, sorted(ids), uow.now, uow.actor_id)
            tables.add(ts.parent.id if ts.parent is not None else table_id)
        if tables:
            uow.before_commit.append(lambda u: data_versions.bump(u.conn, tables))

    # -- unmerge --------------------------------------------------------------------------
    def unmerge(
        self, app: str, table: str, merge_id: int, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        with unit_of_work(self.s, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            return self.unmerge_in(uow, s, merge_id)

    def unmerge_in(self, uow: UnitOfWork, s: TableSchema, merge_id: int) -> dict[str, Any]:
        conn = uow.conn
        m = store.get(conn, merge_id, lock=True)
        if m is None or m.table_id != s.id:
            raise NotFound("merge.not_found", id=merge_id)
        g = guard(uow)
        g.require(s, "update")
        sid, lid = m.survivor_id, m.loser_id
        if m.status != store.MERGED:
            raise Conflict("merge.not_merged", id=merge_id)
        later = store.active(conn, s.id, [sid])
        if sid in later:
            raise Conflict("merge.survivor_merged", id=sid, into=later[sid].survivor_id)
        rows = records.lock_rows(conn, s, sorted((sid, lid)))
        if rows.get(sid) is None or rows[sid].deleted_at is not None:
            raise Conflict("merge.survivor_deleted", id=sid)
        if g.access(s).scoped("update") and len(g.in_scope(s, [sid, lid], "update")) < 2:
            raise Forbidden("auth.forbidden")
        if not store.set_status(conn, merge_id, uow.actor_id, uow.now):
            raise Conflict("merge.not_merged", id=merge_id)
        system = system_view(uow)
        current = self.s.records.read_rows(system, s, [sid])[0]
        revert: dict[str, Any] = {}
        before = store.open_values(s, dict(m.survivor_values or {}))
        merged = store.open_values(s, {c["key"]: c["value"] for c in (m.choices or {}).values()})
        for fid, c in (m.choices or {}).items():
            # Stored by field id (a key renamed since still finds its field); the values
            # were stored under the key of the time.
            f, was = s.by_id.get(int(fid)), c["key"]
            if f is None or f.is_relation or f.key not in current or was not in before:
                continue
            if same(current[f.key], merged[was]):  # else edited since the merge: kept
                revert[f.key] = before[was]
        guard(uow).check_writable(s, revert)
        self._write_survivor(uow, system, s, sid, int(current["version"]), revert)
        loser_row = records.lock_rows(conn, s, [lid])[lid]
        check_restorable(conn, s, loser_row, lid)
        v = records.update_row(
            conn, s, lid, loser_row.version, {}, uow.now, uow.actor_id, deleted_at=None
        )
        restore_with_parent(conn, uow.catalog, s, lid, uow.now, uow.actor_id)
        history.append(conn, [history.entry(s.id, lid, v, "restore", {}, uow.actor_id, uow.now)])
        touched = Touched()
        skipped = move_back(
            conn, uow.catalog, s, list(m.moved or []), lid, sid, uow.now, uow.actor_id, touched
        )
        self._bump_related(uow, s, touched, {sid, lid})
        store.decide_pair(conn, s.id, sid, lid, "not_same", uow.actor_id, uow.now)
        # Both are matched again as they are now: the loser is back under its blocking keys
        # (found by the next write or import), the survivor without the loser's values.
        Resolver(uow).written(s, [sid, lid])
        details = {
            "merge_id": merge_id,
            "survivor_id": sid,
            "loser_id": lid,
            "reverted": sorted(revert),
            "skipped": skipped,
        }
        uow.audit(Entry("record.unmerge", "record", lid, s.app.id, s.id, details))
        payload = {"survivor_id": sid, "loser_id": lid, "merge_id": merge_id, "table": s.table.key}
        uow.emit(Event(ev.RECORD_UNMERGED, s.app.id, s.id, lid, payload, uow.actor_id))
        return {**public(s, store.get(conn, merge_id)), "skipped": skipped}

    # -- reads ----------------------------------------------------------------------------
    def list(
        self,
        app: str,
        table: str,
        record_id: int | None = None,
        principal: Principal = SYSTEM,
        limit: int = 50,
    ) -> dict[str, Any]:
        """The table's merges, newest first; with ``record_id``, those it took part in (as
        survivor or loser). Whoever may read the table."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            guard(uow).require(s, "read")
            rows = store.of_record(uow.conn, s.id, record_id, min(max(limit, 1), MAX_LIST))
            return {"items": [public(s, r) for r in rows]}

    def get(self, app: str, table: str, merge_id: int, principal: Principal = SYSTEM) -> dict:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            guard(uow).require(s, "read")
            m = store.get(uow.conn, merge_id)
            if m is None or m.table_id != s.id:
                raise NotFound("merge.not_found", id=merge_id)
            return public(s, m)


def merge_auto(
    services: Services,
    table_id: int,
    suggestion_ids: list[int],
    principal: Principal = SYSTEM,
) -> dict[str, Any]:
    """Merge the pairs of the given duplicate suggestions of table ``table_id``, newer into
    older (the record created first survives; equal times: the smaller id), with each field's
    survivorship rule and no choices. Each pair is its own transaction; a pair it may not
    merge (a suggestion of another table or not open, a record deleted or merged already, no
    permission, a value the survivor refuses) is skipped with the reason's message key.
    Returns ``{"merged": [merge ids], "skipped": [{"suggestion_id", "reason"}]}``."""
    svc = MergeService(services)
    merged: list[int] = []
    skipped: list[dict[str, Any]] = []
    for sug_id in suggestion_ids:
        try:
            with unit_of_work(services, principal=principal) as uow:
                s = uow.catalog.schema(table_id)
                sug = store.suggestion(uow.conn, sug_id)
                if sug is None or sug.table_id != table_id or sug.status not in AUTO_MERGEABLE:
                    raise Invalid.on("suggestion_id", "merge.suggestion", id=sug_id)
                created = {
                    rid: records.creation(uow.conn, s, rid) for rid in (sug.record_a, sug.record_b)
                }
                missing = [rid for rid, row in created.items() if row is None]
                if missing:
                    raise NotFound("record.not_found", id=missing[0])
                order = sorted(created, key=lambda rid: (created[rid].created_at, rid))
                done = svc.merge_in(uow, s, order[0], order[1], suggestion_id=sug_id)
                merged.append(done["id"])
        except CairnError as e:
            skipped.append({"suggestion_id": sug_id, "reason": _reason(e)})
    if skipped:  # an auto-merge pair that could not be merged waits for a person instead
        with unit_of_work(services, principal=SYSTEM) as uow:
            identity_store.reopen_auto(uow.conn, table_id, [k["suggestion_id"] for k in skipped])
    return {"merged": merged, "skipped": skipped}


def merge_pending_auto(services: Services, limit: int = 200) -> int:
    """Merge the pairs auto-merge rules filed (status ``auto``; resolution files them in the
    write's transaction, this merges them after it, as the worker's duplicates poller does each
    round): up to ``limit`` pairs, oldest first, table by table; how many were merged. A pair
    that cannot be merged is reopened for the review queue."""
    with unit_of_work(services, write=False, principal=SYSTEM) as uow:
        waiting = identity_store.pending_auto(uow.conn, limit)
    by_table: dict[int, list[int]] = {}
    for sug_id, table_id in waiting:
        by_table.setdefault(table_id, []).append(sug_id)
    done = 0
    for table_id, ids in by_table.items():
        done += len(merge_auto(services, table_id, ids)["merged"])
    return done


# -- helpers ------------------------------------------------------------------------------------


def _shown(s: TableSchema, changes: dict[str, Any]) -> dict[str, Any]:
    """Changes as the audit log shows them: a sensitive field's values sealed."""
    keys = {s.by_id[fid].key for fid in s.sealers}
    return {k: [sealed(v) for v in pair] if k in keys else pair for k, pair in changes.items()}


def _reason(e: CairnError) -> str:
    """The message key that says why (a field error's, for bad input)."""
    if isinstance(e, Invalid) and e.field_errors:
        return next(iter(e.field_errors.values()))[0].key
    return e.message.key


__all__ = ["MergeService", "merge_auto", "merge_pending_auto", "public"]
