"""Interactions with customers: logged on a record's 360° page, or posted by another system.

Who may: as with comments, whoever may read a record may log an interaction with it and read
its interactions (logging a call is no change to the customer's data); the author, or an
administrator, deletes one (softly). A posting system (an API token) names the customer by
table and record id, or by an identity key (``key``: a kind such as ``phone``, ``email``,
``vin``, ``id_number``, ``ffp``, or a key field's own key; ``value`` as typed) and must be
allowed to read that record too. A post with an idempotency key that the app has seen returns
the stored interaction and stores nothing.

Every new interaction writes ``interaction.logged`` to the outbox on the customer record, in
its own transaction, so segments, scores and rules react to it. When the app's customer view
names a last-contact field (``last_contact_field``) and the interaction is with a customer,
that field moves forward to the interaction's time (never back) in the same transaction,
through the normal record update (so history, rules, segments and scores see it), written by
whoever logged it (by no one, the system, for a post from another system)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from cairn.auth import SYSTEM, Entry, Principal
from cairn.core import Conflict, Event, Forbidden, Invalid, NotFound
from cairn.core.events import INTERACTION_LOGGED
from cairn.insight.interactions import clean, idempotency_key
from cairn.services.comments import readable_record
from cairn.services.customer_view import LAST_CONTACT, current, last_contact_field
from cairn.services.customers import find_by_key
from cairn.services.merge_pairs import system_view
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import app_settings, records
from cairn.store import interactions as store
from cairn.store.customer_view import KEY as VIEW_KEY

if TYPE_CHECKING:
    from cairn.services.context import Services

MAX_LIMIT = 200
#: Interactions logged by one ``log_many`` call at most.
MAX_BATCH = 10_000
#: What the inbound post's body holds beside the interaction itself.
INBOUND = frozenset({"table", "record_id", "key", "value", "idempotency_key"})


class InteractionService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def list(
        self,
        app: str,
        table: str,
        record_id: int,
        principal: Principal,
        *,
        limit: int = 50,
        cursor: str | None = None,
        kinds: list[str] | None = None,
    ) -> dict[str, Any]:
        """A page of the record's interactions, newest first."""
        if not 1 <= limit <= MAX_LIMIT:
            raise Invalid.on("limit", "interaction.limit", max=MAX_LIMIT)
        after = None
        if cursor:
            after = store.decode_cursor(cursor)
            if after is None:
                raise Invalid.on("cursor", "interaction.cursor")
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = readable_record(uow, app, table, record_id)
            rows, next_cursor = store.page(
                uow.conn, s.id, record_id, limit=limit, after=after, kinds=kinds
            )
            return {"items": [store.public(r) for r in rows], "next_cursor": next_cursor}

    def log(
        self, app: str, table: str, record_id: int, data: Any, principal: Principal
    ) -> dict[str, Any]:
        """Log one interaction with the record (from the 360° page)."""
        with unit_of_work(self.s, principal=principal) as uow:
            values = clean(data, uow.now)
            s = readable_record(uow, app, table, record_id)
            out = self._insert(uow, s, record_id, values, None, principal)
            self._last_contact(uow, s, {record_id: values["occurred_at"]}, principal.user_id)
            return out

    def log_many(
        self, app: str, table: str, items: Any, principal: Principal = SYSTEM
    ) -> list[int]:
        """Log many interactions in one transaction (a template's demo data, a migration from
        another system): each item is an interaction with its ``record_id``. Every item is
        checked before anything is written; errors name ``items.<i>.<attribute>``."""
        if not isinstance(items, list) or len(items) > MAX_BATCH:
            raise Invalid.on("items", "interaction.batch", max=MAX_BATCH)
        with unit_of_work(self.s, principal=principal) as uow:
            checked: list[tuple[int, dict[str, Any]]] = []
            s: Any = None
            for i, item in enumerate(items):
                if not isinstance(item, dict):
                    raise Invalid.on(f"items.{i}", "interaction.shape")
                rid = item.get("record_id")
                if isinstance(rid, bool) or not isinstance(rid, int):
                    raise Invalid.on(f"items.{i}.record_id", "interaction.customer")
                try:
                    values = clean(item, uow.now, extra=frozenset({"record_id"}))
                except Invalid as e:
                    raise e.under(f"items.{i}") from None
                checked.append((rid, values))
            latest: dict[int, datetime] = {}
            for rid in sorted({rid for rid, _ in checked}):
                s = readable_record(uow, app, table, rid)
            ids = [
                int(self._insert(uow, s, rid, values, None, principal)["id"])
                for rid, values in checked
            ]
            for rid, values in checked:
                if rid not in latest or values["occurred_at"] > latest[rid]:
                    latest[rid] = values["occurred_at"]
            if s is not None:
                self._last_contact(uow, s, latest, principal.user_id)
            return ids

    def post(
        self, app: str, data: Any, header_key: str | None, principal: Principal
    ) -> tuple[dict[str, Any], bool]:
        """An interaction posted by another system; (it, whether it is new)."""
        if not isinstance(data, dict):
            raise Invalid.on("body", "interaction.shape")
        key = idempotency_key(header_key, data)
        with unit_of_work(self.s, principal=principal) as uow:
            a = uow.catalog.app(app)
            values = clean(data, uow.now, extra=INBOUND)
            if key is not None:
                seen = store.by_idempotency_key(uow.conn, a.id, key)
                if seen is not None:
                    readable_record(
                        uow, app, uow.catalog.schema(seen.table_id).table.key, seen.record_id
                    )
                    return store.public(seen), False
            table = data.get("table")
            if not isinstance(table, str) or not table:
                raise Invalid.on("table", "interaction.customer")
            s = uow.catalog.table(app, table)
            record_id = self._customer(uow, s, data)
            readable_record(uow, app, table, record_id)
            iid = None
            if key is not None:
                iid = self._insert_once(uow, s, record_id, values, key, principal)
                if iid is None:
                    # Another post with the same key got in first (both passed the check
                    # above at once): answered as a replay, with the interaction it stored.
                    return store.public(store.by_idempotency_key(uow.conn, a.id, key)), False
            out = self._insert(uow, s, record_id, values, key, principal, iid)
            self._last_contact(uow, s, {record_id: values["occurred_at"]}, None)
            return out, True

    def _customer(self, uow: UnitOfWork, s: Any, data: dict[str, Any]) -> int:
        """The record the post names: its id, or the one record an identity key finds."""
        rid = data.get("record_id")
        if rid is not None:
            if isinstance(rid, bool) or not isinstance(rid, int):
                raise Invalid.on("record_id", "interaction.customer")
            return rid
        key, value = data.get("key"), data.get("value")
        if not isinstance(key, str) or not isinstance(value, str) or not value.strip():
            raise Invalid.on("key", "interaction.customer")
        ids = find_by_key(uow, self.s.field_types, s, key, value)
        if ids is None:
            raise Invalid.on("key", "interaction.key", key=key, table=s.table.key)
        if not ids:
            raise NotFound("interaction.no_customer", table=s.table.key, key=key, value=value)
        if len(ids) > 1:
            raise Conflict(
                "interaction.several",
                table=s.table.key,
                key=key,
                value=value,
                ids=", ".join(map(str, ids)),
            )
        return ids[0]

    def _insert_once(
        self,
        uow: UnitOfWork,
        s: Any,
        record_id: int,
        values: dict[str, Any],
        key: str,
        principal: Principal,
    ) -> int | None:
        """The posted interaction's row under its idempotency key, written in a savepoint;
        None when the key's unique index refuses it: a concurrent post with the same key
        committed first (PostgreSQL makes the second wait for the first, then refuses it;
        SQLite's writers queue, so the check before the insert saw it already)."""
        try:
            with uow.conn.begin_nested():
                return self._row(uow, s, record_id, values, key, principal)
        except sa.exc.IntegrityError:
            if store.by_idempotency_key(uow.conn, s.app.id, key) is None:
                raise
            return None

    @staticmethod
    def _row(
        uow: UnitOfWork,
        s: Any,
        record_id: int,
        values: dict[str, Any],
        key: str | None,
        principal: Principal,
    ) -> int:
        return store.insert(
            uow.conn,
            uow.now,
            app_id=s.app.id,
            table_id=s.id,
            record_id=record_id,
            idempotency_key=key,
            actor_id=principal.user_id,
            **values,
        )

    def _insert(
        self,
        uow: UnitOfWork,
        s: Any,
        record_id: int,
        values: dict[str, Any],
        key: str | None,
        principal: Principal,
        iid: int | None = None,
    ) -> dict[str, Any]:
        """Store the interaction (unless ``iid``: stored already) and emit its event."""
        if iid is None:
            iid = self._row(uow, s, record_id, values, key, principal)
        uow.emit(
            Event(
                INTERACTION_LOGGED,
                s.app.id,
                s.id,
                record_id,
                {
                    "interaction_id": iid,
                    "kind": values["kind"],
                    "direction": values["direction"],
                    "occurred_at": values["occurred_at"].isoformat() + "Z",
                    "source": values["source"],
                },
                actor_id=principal.user_id,
            )
        )
        return store.public(store.get(uow.conn, s.id, record_id, iid))

    def _last_contact(
        self, uow: UnitOfWork, s: Any, latest: dict[int, datetime], actor_id: int | None
    ) -> None:
        """Move the customers' last-contact field forward to their newest interaction's
        time (``latest``: record id → naive UTC), where that is newer than what is stored:
        one update of those records as the system (logging needs only the right to read
        the customer), ``actor_id`` named as their writer."""
        stored = app_settings.get(uow.conn, s.app.id, VIEW_KEY)
        if not stored or stored.get("table") != s.table.key or not stored.get(LAST_CONTACT):
            return
        view = current(uow.catalog, s.app.key, stored)
        f = last_contact_field(s, view.get(LAST_CONTACT))
        if f is None:
            return
        is_date = s.type_of(f).value_type == "date"
        tz = self.s.field_ctx.timezone
        rows = records.lock_rows(uow.conn, s, list(latest))
        items: list[dict[str, Any]] = []
        for rid, moment in sorted(latest.items()):
            row = rows.get(rid)
            if row is None or row.deleted_at is not None:
                continue
            at = moment.replace(microsecond=0, tzinfo=UTC)
            new: Any = at.astimezone(tz).date() if is_date else at.replace(tzinfo=None)
            old = row._mapping[f.column_name]
            if old is not None and old >= new:
                continue
            text = new.isoformat() if is_date else at.isoformat()
            items.append({"id": rid, "version": row.version, f.key: text})
        if not items:
            return
        system = system_view(uow)
        system.actor_id = actor_id
        limit = self.s.settings.bulk_limit
        for i in range(0, len(items), limit):
            self.s.records.bulk_in(
                system, s.app.key, s.table.key, items[i : i + limit], return_items=False
            )
        uow.adopt(system)

    def delete(
        self, app: str, table: str, record_id: int, interaction_id: int, principal: Principal
    ) -> None:
        with unit_of_work(self.s, principal=principal) as uow:
            s = readable_record(uow, app, table, record_id)
            row = store.get(uow.conn, s.id, record_id, interaction_id)
            if row is None:
                raise NotFound("interaction.not_found", id=interaction_id)
            admin = principal.is_admin and not principal.read_only
            mine = row.actor_id is not None and row.actor_id == principal.user_id
            if not mine and not admin:
                raise Forbidden("interaction.not_yours")
            store.soft_delete(uow.conn, interaction_id, uow.now)
            uow.audit(
                Entry(
                    "interaction.delete",
                    "interaction",
                    interaction_id,
                    s.app.id,
                    s.id,
                    {"record_id": record_id, "kind": row.kind},
                )
            )
