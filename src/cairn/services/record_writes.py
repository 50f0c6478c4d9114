"""Record writes: create, bulk, update, delete, restore.

A write is one transaction: validate every value (collecting every error), check references and
unique values in one query per field for the whole batch, assign auto numbers, write the rows
and links, one history row and one outbox event per record. Any error leaves nothing behind.
"""

from __future__ import annotations

from typing import Any

from cairn.auth import SYSTEM, Entry, Principal
from cairn.auth.guard import guard
from cairn.core import Event, FieldErrors, Invalid, NotFound
from cairn.core import events as ev
from cairn.forms import runtime as form_runtime
from cairn.identity.resolve import Resolver
from cairn.meta.values import id_ranges
from cairn.query.validation import check_rules
from cairn.services.computed import ComputedWatch
from cairn.services.record_checks import check_references, check_repoints, resolve_merged
from cairn.services.record_fill import fill_from_links
from cairn.services.record_reads import RecordReads
from cairn.services.subform_rows import (
    check_row_rules,
    check_rows,
    refuse_row_links,
    refuse_rows_table,
)
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import TableSchema, history, records
from cairn.store.cascades import check_cascades
from cairn.store.merges import refuse_tombstone
from cairn.store.record_forms import apply_form
from cairn.store.record_input import (
    Prepared,
    check_updates_exist,
    created_values,
    prefix_of,
    prepare,
)
from cairn.store.record_writes import insert_prepared, update_prepared
from cairn.store.relations import Repoints, old_links, write_repoints
from cairn.store.stats import analyze
from cairn.store.subform_rows import delete_with_parent, restore_with_parent
from cairn.store.subforms import SubformWrite
from cairn.store.unique import check_restorable, check_unique


class RecordWrites(RecordReads):
    def create(
        self,
        app: str,
        table: str,
        data: Any,
        actor_id: int | None = None,
        principal: Principal = SYSTEM,
        form: str | None = None,
    ) -> dict[str, Any]:
        if isinstance(data, dict):
            data = {k: v for k, v in data.items() if k != "id"}
        written = self.bulk(
            app, table, [data], actor_id=actor_id, single=True, principal=principal, form=form
        )
        return written["items"][0]

    def bulk(
        self,
        app: str,
        table: str,
        items: Any,
        actor_id: int | None = None,
        *,
        single: bool = False,
        return_items: bool = True,
        principal: Principal = SYSTEM,
        event_meta: dict[str, Any] | None = None,
        before_commit: Any = None,
        form: str | None = None,
    ) -> dict[str, Any]:
        """Create (no ``id``) and update (``id`` and ``version``) up to 1,000 records, all or nothing.

        ``event_meta`` goes into the payload of the events the write causes; ``before_commit``
        (called with the unit of work) runs in the same transaction (the rule engine's hooks).
        ``form``: the form whose linkage rules the write obeys (a variant's key; None: the
        table's default form).
        """
        limit = self.s.settings.bulk_limit
        if not isinstance(items, list):
            raise Invalid.on("records", "value.choices")
        if not items:
            raise Invalid.on("records", "bulk.empty")
        if len(items) > limit:
            raise Invalid.on("records", "bulk.too_many", max=limit)
        with unit_of_work(self.s, actor_id=actor_id, principal=principal) as uow:
            if event_meta:
                uow.event_meta.update(event_meta)
            if before_commit is not None:
                uow.before_commit.append(before_commit)
            return self.bulk_in(
                uow, app, table, items, single=single, return_items=return_items, form=form
            )

    def bulk_in(
        self,
        uow: UnitOfWork,
        app: str,
        table: str,
        items: list[Any],
        *,
        single: bool = False,
        return_items: bool = True,
        form: str | None = None,
        form_fields: frozenset[str] | None = None,
    ) -> dict[str, Any]:
        """``bulk`` inside the caller's unit of work (its principal writes; its transaction
        holds the write): the process engine's service tasks write in the step's transaction.

        The form's default formulas fill the creates, and its linkage rules are enforced on
        every item as the record will be once written (``store.record_forms``); with
        ``form_fields`` (a process step's form) a field outside them is not required."""
        s, conn, cat = uow.catalog.table(app, table), uow.conn, uow.catalog
        refuse_rows_table(s)
        g = guard(uow)
        for action, wanted in (
            ("create", any(isinstance(r, dict) and "id" not in r for r in items)),
            ("update", any(isinstance(r, dict) and "id" in r for r in items)),
        ):
            if wanted:
                g.require(s, action)
        g.check_writable(s, {k for r in items if isinstance(r, dict) for k in r})
        items = fill_from_links(self, uow, s, items)
        items = form_runtime.fill_defaults(uow, s, items)
        errors = FieldErrors()
        creates, updates = prepare(s, items, errors, single)
        refuse_row_links(cat, s, creates + updates, errors, single)
        sub = SubformWrite(s, creates + updates)
        if sub.active:
            sub.prepare(errors, lambda p: prefix_of(single, p.index))
        linkage = form_runtime.compiled(uow, s, form)
        if linkage.enforced:
            before = self._before(uow, s, updates)
            old = old_links(conn, cat, s, updates)
            env = form_runtime.environment(uow, linkage)
            prepared = creates + updates
            apply_form(
                conn,
                cat,
                s,
                linkage,
                env,
                items,
                prepared,
                before,
                old,
                errors,
                single,
                form_fields,
            )
        errors.raise_if_any()
        if not linkage.enforced:
            before = self._before(uow, s, updates)
        check_updates_exist(updates, before, errors, single)
        errors.raise_if_any()
        check_cascades(s, creates + updates, before, errors, single)
        if sub.active:  # the parents are locked: their rows are theirs to read and write
            sub.load(conn)
            sub.check_ids(errors)
        errors.raise_if_any()
        if not linkage.enforced:
            old = old_links(conn, cat, s, updates)
        resolve_merged(uow, s, creates + updates)
        check_references(uow, s, creates + updates, errors, single, before)
        check_unique(conn, s, creates + updates, errors, single)
        if sub.active:
            check_rows(uow, sub, errors)
        errors.raise_if_any()
        repoints = check_repoints(uow, s, creates + updates, old, errors, single)
        errors.raise_if_any()
        watch = ComputedWatch(self.s, uow, s)
        if watch.active:
            watch.before(list(before), [p.links for p in creates + updates])
        created_ids = self._insert(uow, s, creates, sub) if creates else []
        logged: list[dict[str, Any]] = []  # the updates' history rows, written together
        for p in updates:
            more = sub.update(conn, cat, p, uow.now, uow.actor_id) if p.rows else None
            written = update_prepared(
                conn,
                cat,
                s,
                p,
                before[p.record_id],  # type: ignore[index]
                old,
                uow.now,
                uow.actor_id,
                more=more,
            )
            if written is not None:
                version, changes, key_changes = written
                self._log(
                    uow, s, p.record_id, version, "update", changes, key_changes, logged=logged
                )  # type: ignore[arg-type]
        if logged:
            history.append(conn, logged)
        for rp in repoints:
            self._apply_repoints(uow, rp, single)
        if watch.active:
            watch.after(list(before), [p.record_id for p in creates + updates])  # type: ignore[misc]
        if s.table.validation_rules:
            check_rules(conn, cat, s, self.s.clock, creates + updates, single)
        if sub.active:
            check_row_rules(uow, sub, self.s.clock)
        # One-ID: the written records filed under their blocking keys and matched, the
        # whole batch at once (an import batch included: it writes through here).
        Resolver(uow).written(s, created_ids + [p.record_id for p in updates])  # type: ignore[misc]
        result: dict[str, Any]
        if return_items:
            ids = [p.record_id for p in sorted(creates + updates, key=lambda p: p.index)]
            readable = {r["id"]: r for r in self.read_rows(uow, s, ids)}  # type: ignore[arg-type]
            # A write-only member gets the id and version of what it wrote, nothing more.
            result = {"items": [readable.get(i) or {"id": i} for i in ids]}
        else:
            result = {"ids": created_ids + [p.record_id for p in updates]}
        if created_ids and self.s.growth.add(s.id, len(created_ids)):
            uow.after_commit(lambda: analyze(self.s.engine, s.id))
        return result

    def update(
        self,
        app: str,
        table: str,
        record_id: int,
        data: Any,
        actor_id: int | None = None,
        principal: Principal = SYSTEM,
        form: str | None = None,
    ) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise Invalid.on("body", "filter.shape")
        if "version" not in data:
            raise Invalid.on("version", "record.version_required")
        item = {**data, "id": record_id}
        written = self.bulk(
            app, table, [item], actor_id=actor_id, single=True, principal=principal, form=form
        )
        return written["items"][0]

    @staticmethod
    def _before(uow: UnitOfWork, s: TableSchema, updates: list[Prepared]) -> dict[int, Any]:
        """The updated records' rows, locked; a record outside the principal's update scope
        is left out (so "not found": the whole call is refused)."""
        before = records.lock_rows(uow.conn, s, [p.record_id for p in updates]) if updates else {}
        g = guard(uow)
        if updates and g.access(s).scoped("update"):
            mine = g.in_scope(s, list(before), "update")
            before = {rid: row for rid, row in before.items() if rid in mine}
        return before

    def delete(
        self,
        app: str,
        table: str,
        record_id: int,
        version: int | None = None,
        actor_id: int | None = None,
        principal: Principal = SYSTEM,
    ) -> None:
        with unit_of_work(self.s, actor_id=actor_id, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            refuse_rows_table(s)
            row = self._locked(uow, s, record_id, deleted=False)
            watch = ComputedWatch(self.s, uow, s)
            if watch.through:  # a deleted record no longer counts in rollups
                watch.before([], [])
                for th in watch.through:
                    th.before = watch.values(th.schema, th.fields, watch.linked(th, [record_id]))
            v = records.update_row(
                uow.conn,
                s,
                record_id,
                version if version is not None else row.version,
                {},
                uow.now,
                uow.actor_id,
                deleted_at=uow.now,
            )
            delete_with_parent(uow.conn, uow.catalog, s, record_id, uow.now, uow.actor_id)
            self._log(uow, s, record_id, v, "delete", {}, {}, ev.RECORD_DELETED)
            Resolver(uow).forget(s, [record_id])
            if watch.through:
                watch.after([], [record_id])

    def restore(
        self,
        app: str,
        table: str,
        record_id: int,
        actor_id: int | None = None,
        principal: Principal = SYSTEM,
    ) -> dict[str, Any]:
        with unit_of_work(self.s, actor_id=actor_id, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            refuse_rows_table(s)
            row = self._locked(uow, s, record_id, deleted=True)
            refuse_tombstone(uow.conn, s, record_id)
            check_restorable(uow.conn, s, row, record_id)
            watch = ComputedWatch(self.s, uow, s)
            if watch.through:  # a restored record counts in rollups again
                watch.before_removal([record_id])
            v = records.update_row(
                uow.conn, s, record_id, row.version, {}, uow.now, uow.actor_id, deleted_at=None
            )
            restore_with_parent(uow.conn, uow.catalog, s, record_id, uow.now, uow.actor_id)
            self._log(uow, s, record_id, v, "restore", {}, {}, ev.RECORD_RESTORED)
            Resolver(uow).written(s, [record_id])
            if watch.through:
                watch.after([], [record_id])
            restored = self.read_rows(uow, s, [record_id])
            return restored[0] if restored else {"id": record_id, "version": v}

    @staticmethod
    def _locked(uow: UnitOfWork, s: TableSchema, record_id: int, deleted: bool) -> Any:
        """The record's row, locked, once the principal may delete (or restore) it: 403
        without the table permission; 404 outside the row scope, or not live (not deleted)."""
        g = guard(uow)
        g.require(s, "delete")
        if g.access(s).scoped("delete") and not g.in_scope(s, [record_id], "delete"):
            raise NotFound("record.not_found", id=record_id)
        row = records.lock_rows(uow.conn, s, [record_id]).get(record_id)
        if row is None or (row.deleted_at is not None) != deleted:
            raise NotFound("record.not_found", id=record_id)
        return row

    def _insert(
        self, uow: UnitOfWork, s: TableSchema, creates: list[Prepared], sub: SubformWrite
    ) -> list[int]:
        ids = insert_prepared(uow.conn, uow.catalog, s, creates, uow.now, uow.actor_id)
        if sub.active:
            sub.insert_created(uow.conn, uow.catalog, uow.now, uow.actor_id)
        # A create writes no history row: the record's created_at and created_by say who and
        # when, its values are the first state, and every later change logs before and after,
        # so any earlier state can be rebuilt (``history`` shows the creation from the record).
        payload = {"version": 1}
        uow.events.extend(
            Event(ev.RECORD_CREATED, s.app.id, s.id, rid, payload, uow.actor_id) for rid in ids
        )
        if len(creates) == 1:
            values = created_values(s, creates[0])
            if sub.active:
                values.update(sub.created_values(creates[0]))
            changes = {"version": 1, "changes": values}
            uow.audit(Entry("record.create", "record", ids[0], s.app.id, s.id, changes))
        else:
            # One entry for a bulk create: who created which records (as id ranges). Their
            # values are the records' first state, and every later change is audited with
            # before and after, so a per-record entry would add cost, not information.
            details = {"count": len(ids), "ids": id_ranges(ids)}
            uow.audit(Entry("record.create_many", "record", None, s.app.id, s.id, details))
        return ids

    def _apply_repoints(self, uow: UnitOfWork, rp: Repoints, single: bool) -> None:
        """Once the links are written: each re-pointed record whose links changed gets a new
        version, a history entry, an audit entry and a ``record.updated`` event, and is
        checked as an update would be (a required relation left empty, the table's
        validation rules)."""
        ts = rp.schema
        versions, key_changes = write_repoints(
            uow.conn, uow.catalog, rp, single, uow.now, uow.actor_id
        )
        for rid in sorted(versions):
            payload = {"version": versions[rid], "changes": key_changes[rid]}
            uow.audit(Entry("record.update", "record", rid, ts.app.id, ts.id, payload))
            uow.emit(Event(ev.RECORD_UPDATED, ts.app.id, ts.id, rid, dict(payload), uow.actor_id))
        if versions and ts.table.validation_rules:
            # Each record's broken rule shows at the relation field that was written.
            written = [Prepared(rp.causes[rid][0], rid, versions[rid]) for rid in sorted(versions)]
            at = {rid: rp.causes[rid][1] for rid in versions}
            check_rules(uow.conn, uow.catalog, ts, self.s.clock, written, single, at=at)

    @staticmethod
    def _log(
        uow: UnitOfWork,
        s: TableSchema,
        record_id: int,
        version: int,
        action: str,
        changes: dict[str, Any],
        key_changes: dict[str, Any],
        event_type: str = ev.RECORD_UPDATED,
        *,
        logged: list[dict[str, Any]] | None = None,
    ) -> None:
        """A record's change in the audit log, its history and the outbox. ``logged``: the
        history row goes there, for the caller to write a batch's rows in one insert."""
        payload = {"version": version, "changes": key_changes}
        uow.audit(Entry(f"record.{action}", "record", record_id, s.app.id, s.id, payload))
        row = history.entry(s.id, record_id, version, action, changes, uow.actor_id, uow.now)
        if logged is not None:
            logged.append(row)
        else:
            history.append(uow.conn, [row])
        uow.emit(Event(event_type, s.app.id, s.id, record_id, dict(payload), uow.actor_id))
