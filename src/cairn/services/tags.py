"""Tags: an app's vocabulary (read by every member, changed by the app's managers: the router
checks) and the tags on records (read with the record; changed by whoever may update it,
within their row scope). Every change of a record's tags emits ``record.tagged`` /
``record.untagged`` on the record in the same transaction; applying what is already there
changes nothing and emits nothing (a rule's replay is harmless)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Principal
from cairn.auth.guard import guard
from cairn.core import Event, Invalid, NotFound
from cairn.core import events as ev
from cairn.insight.tags import (
    MAX_IDS,
    MAX_TAGS,
    SOURCES,
    checked_tag,
    map_tag_refs,
    tag_ids,
    unknown_ids,
)
from cairn.query.tag_filter import TAGS_FIELD
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import TableSchema, history
from cairn.store import records as store_records
from cairn.store import tags as store

if TYPE_CHECKING:
    from cairn.services.context import Services

#: Records tagged in one bulk call at most.
MAX_RECORDS = 1_000


def public_tag(r: Any, uses: int | None = None) -> dict[str, Any]:
    out = {
        "id": r.id,
        "name": r.name,
        "colour": r.colour,
        "group": r.group,
        "description": r.description,
        "position": r.position,
    }
    if uses is not None:
        out["uses"] = uses
    return out


def public_applied(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "name": r.name,
        "colour": r.colour,
        "group": r.group,
        "description": r.description,
        "source": r.source,
        "created_at": r.created_at.isoformat(),
    }


class TagService:
    def __init__(self, services: Services) -> None:
        self.s = services

    # -- the vocabulary ---------------------------------------------------------------------
    def list(self, app: str, principal: Principal = SYSTEM) -> list[dict[str, Any]]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            a = uow.catalog.app(app)
            rows = store.vocabulary(uow.conn, a.id)
            uses = store.uses(uow.conn, [r.id for r in rows])
            return [public_tag(r, uses.get(r.id, 0)) for r in rows]

    def create(self, app: str, data: Any, principal: Principal = SYSTEM) -> dict[str, Any]:
        spec = checked_tag(data)
        with unit_of_work(self.s, principal=principal) as uow:
            a = uow.catalog.app(app)
            return public_tag(self.create_in(uow, a.id, spec), 0)

    def create_in(self, uow: UnitOfWork, app_id: int, spec: dict[str, Any]) -> Any:
        """Add a checked tag to the app's vocabulary (inside the caller's unit of work)."""
        if store.count(uow.conn, app_id) >= MAX_TAGS:
            raise Invalid.on("name", "tag.too_many", max=MAX_TAGS)
        if store.name_taken(uow.conn, app_id, spec["name"]):
            raise Invalid.on("name", "tag.name_taken", name=spec["name"])
        tid = store.insert_tag(
            uow.conn,
            app_id=app_id,
            created_by=uow.actor_id,
            created_at=uow.now,
            updated_at=uow.now,
            **spec,
        )
        return store.tag(uow.conn, app_id, tid)

    def update(
        self, app: str, tag_id: int, data: Any, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        spec = checked_tag(data, partial=True)
        with unit_of_work(self.s, principal=principal) as uow:
            a = uow.catalog.app(app)
            self._tag(uow, a.id, tag_id)
            if "name" in spec and store.name_taken(uow.conn, a.id, spec["name"], but=tag_id):
                raise Invalid.on("name", "tag.name_taken", name=spec["name"])
            if spec:
                store.update_tag(uow.conn, tag_id, updated_at=uow.now, **spec)
            row = self._tag(uow, a.id, tag_id)
            return public_tag(row, store.uses(uow.conn, [tag_id]).get(tag_id, 0))

    def delete(self, app: str, tag_id: int, principal: Principal = SYSTEM) -> dict[str, Any]:
        """Delete a tag and its applications (each record untagged, with its event); how many
        records carried it."""
        with unit_of_work(self.s, principal=principal) as uow:
            a = uow.catalog.app(app)
            row = self._tag(uow, a.id, tag_id)
            on = store.delete_tag(uow.conn, tag_id)
            payload = {"tags": [{"id": row.id, "name": row.name}], "source": "manual"}
            for table_id, record_id in on:
                uow.emit(
                    Event(ev.RECORD_UNTAGGED, a.id, table_id, record_id, payload, uow.actor_id)
                )
            return {"id": tag_id, "removed": len(on)}

    def export_in(self, uow: UnitOfWork, app_key: str) -> list[dict[str, Any]] | None:
        """The vocabulary as an app package carries it (None when the app has no tags)."""
        rows = store.vocabulary(uow.conn, uow.catalog.app(app_key).id)
        if not rows:
            return None
        return [{k: v for k, v in public_tag(r).items() if k != "id"} for r in rows]

    def import_in(self, uow: UnitOfWork, app_key: str, data: Any) -> None:
        """Set the vocabulary from a package (inside the import's transaction): tags by name
        are updated, new names added; errors name the package's ``tags``."""
        if not isinstance(data, list):
            raise Invalid.on("tags", "invalid.list")
        app_id = uow.catalog.app(app_key).id
        for i, item in enumerate(data):
            try:
                spec = checked_tag(item)
            except Invalid as e:
                raise e.under(f"tags.{i}") from None
            found = store.by_names(uow.conn, app_id, [spec["name"]]).get(spec["name"])
            if found is None:
                try:
                    self.create_in(uow, app_id, spec)
                except Invalid as e:
                    raise e.under(f"tags.{i}") from None
            else:
                store.update_tag(uow.conn, found.id, updated_at=uow.now, **spec)

    def rules_out(self, uow: UnitOfWork, app_key: str, rules: Any) -> Any:
        """Rules as a package carries them: the tags they name by name."""
        names = {r.id: r.name for r in store.vocabulary(uow.conn, uow.catalog.app(app_key).id)}
        return map_tag_refs(rules, lambda x: names.get(x, x))

    def rules_in(self, uow: UnitOfWork, app_key: str, rules: Any) -> Any:
        """Rules from a package: the tags they name by name become the app's tag ids (an
        unknown name is refused at ``rules``)."""
        ids = {r.name: r.id for r in store.vocabulary(uow.conn, uow.catalog.app(app_key).id)}

        def convert(x: Any) -> Any:
            if isinstance(x, str):
                if x not in ids:
                    raise Invalid.on("rules", "tag.unknown_name", name=x)
                return ids[x]
            return x

        return map_tag_refs(rules, convert)

    # -- tags on records --------------------------------------------------------------------
    def of_record(
        self, app: str, table: str, record_id: int, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            g = guard(uow)
            g.require(s, "read")
            live = store_records.live_ids(uow.conn, s, [record_id])
            if not live or not g.in_scope(s, [record_id], "read"):
                raise NotFound("record.not_found", id=record_id)
            editable = g.access(s).can("update") and bool(g.in_scope(s, [record_id], "update"))
            rows = store.of_records(uow.conn, s.id, [record_id])[record_id]
            return {"items": [public_applied(r) for r in rows], "editable": editable}

    def set_record(
        self, app: str, table: str, record_id: int, ids: Any, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        """Replace the record's tags by ``ids``."""
        wanted = tag_ids(ids, "tags")
        with unit_of_work(self.s, principal=principal) as uow:
            s = self._updatable(uow, app, table, [record_id])
            have = store.tag_ids_of(uow.conn, s.id, record_id)
            remove = [t for t in have if t not in set(wanted)]
            self.apply_in(uow, s, [record_id], wanted, remove, "manual", loc="tags")
            rows = store.of_records(uow.conn, s.id, [record_id])[record_id]
            return {"items": [public_applied(r) for r in rows], "editable": True}

    def add_record(
        self, app: str, table: str, record_id: int, tag_id: Any, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        if isinstance(tag_id, bool) or not isinstance(tag_id, int) or tag_id < 1:
            raise Invalid.on("tag_id", "tag.ids", max=1)
        return self.change_record(app, table, record_id, [tag_id], [], principal)

    def change_record(
        self,
        app: str,
        table: str,
        record_id: int,
        add: Sequence[int],
        remove: Sequence[int],
        principal: Principal = SYSTEM,
    ) -> dict[str, Any]:
        """Add one tag to, or remove one from, the record."""
        with unit_of_work(self.s, principal=principal) as uow:
            s = self._updatable(uow, app, table, [record_id])
            if remove and not store.by_ids(uow.conn, s.app.id, list(remove)):
                raise NotFound("tag.not_found", id=remove[0])
            self.apply_in(uow, s, [record_id], list(add), list(remove), "manual", loc="tag_id")
            rows = store.of_records(uow.conn, s.id, [record_id])[record_id]
            return {"items": [public_applied(r) for r in rows], "editable": True}

    def apply(
        self,
        app: str,
        table: str,
        ids: Any,
        add: Any,
        remove: Any,
        principal: Principal = SYSTEM,
    ) -> dict[str, Any]:
        """Add and remove tags on many records at once (each must be one the caller may
        update); how many records changed."""
        if (
            not isinstance(ids, list)
            or not ids
            or len(ids) > MAX_RECORDS
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
        ):
            raise Invalid.on("ids", "tag.record_ids", max=MAX_RECORDS)
        adding, removing = tag_ids(add, "add"), tag_ids(remove, "remove")
        if not adding and not removing:
            raise Invalid.on("add", "tag.none")
        with unit_of_work(self.s, principal=principal) as uow:
            record_ids = list(dict.fromkeys(ids))
            s = self._updatable(uow, app, table, record_ids)
            known = set(store.by_ids(uow.conn, s.app.id, [*adding, *removing]))
            unknown_ids(adding, known, "add")
            unknown_ids(removing, known, "remove")
            changed = self.apply_in(uow, s, record_ids, adding, removing, "manual")
            return {"updated": len(changed), "ids": changed}

    def apply_in(
        self,
        uow: UnitOfWork,
        s: TableSchema,
        record_ids: Sequence[int],
        add: Sequence[int],
        remove: Sequence[int],
        source: str,
        *,
        loc: str = "add",
    ) -> list[int]:
        """Add and remove tags inside the caller's unit of work, without permission checks
        (a rule's action, an import): ids that are not the app's tags are refused at ``loc``;
        events for what changed. The records that changed."""
        if source not in SOURCES:
            raise Invalid.on("source", "tag.source", sources=", ".join(SOURCES))
        if len(add) > MAX_IDS or len(remove) > MAX_IDS:
            raise Invalid.on(loc, "tag.ids", max=MAX_IDS)
        named = store.by_ids(uow.conn, s.app.id, [*add, *remove])
        unknown_ids(list(add), set(named), loc)
        remove = [t for t in remove if t in named]
        changed = store.apply(
            uow.conn, s.id, record_ids, list(add), remove, source, uow.actor_id, uow.now
        )
        self._log(uow, s, changed, named)
        for rid, (added, removed) in changed.items():
            for kind, ids in ((ev.RECORD_TAGGED, added), (ev.RECORD_UNTAGGED, removed)):
                if ids:
                    payload = {
                        "tags": [{"id": t, "name": named[t].name} for t in ids],
                        "source": source,
                    }
                    uow.emit(Event(kind, s.app.id, s.id, rid, payload, uow.actor_id))
        return list(changed)

    def as_rule_in(
        self,
        uow: UnitOfWork,
        app: str,
        table: str,
        ids: Sequence[int],
        add: Sequence[int],
        remove: Sequence[int],
    ) -> list[int]:
        """A rule's tag action inside ``uow`` (its principal: the rule's owner, who must be
        allowed to update the records; records gone or out of their scope are left)."""
        s = uow.catalog.table(app, table)
        g = guard(uow)
        g.require(s, "update")
        live = store_records.live_ids(uow.conn, s, ids)
        mine = g.in_scope(s, sorted(live), "update") if live else set()
        targets = [rid for rid in ids if rid in mine]
        return self.apply_in(uow, s, targets, add, remove, "rule", loc="tags")

    # -- helpers ----------------------------------------------------------------------------
    @staticmethod
    def _log(
        uow: UnitOfWork,
        s: TableSchema,
        changed: dict[int, tuple[list[int], list[int]]],
        named: dict[int, Any],
    ) -> None:
        """The records' history: one entry a record whose tags changed (``tags``), with the
        names it carried before and after, sorted (at the record's version: tags do not move
        it)."""
        if not changed:
            return
        ids = list(changed)
        now = {
            rid: [r.name for r in rows]
            for rid, rows in store.of_records(uow.conn, s.id, ids).items()
        }
        versions = store.versions(uow.conn, s, ids)
        rows = []
        for rid, (added, removed) in changed.items():
            gone = {named[t].name for t in added}
            after = sorted(now.get(rid, []))
            before = sorted([n for n in after if n not in gone] + [named[t].name for t in removed])
            rows.append(
                history.entry(
                    s.id,
                    rid,
                    versions.get(rid, 1),
                    "tags",
                    {TAGS_FIELD: [before, after]},
                    uow.actor_id,
                    uow.now,
                )
            )
        history.append(uow.conn, rows)

    @staticmethod
    def _tag(uow: UnitOfWork, app_id: int, tag_id: int) -> Any:
        row = store.tag(uow.conn, app_id, tag_id)
        if row is None:
            raise NotFound("tag.not_found", id=tag_id)
        return row

    @staticmethod
    def _updatable(uow: UnitOfWork, app: str, table: str, record_ids: Sequence[int]) -> TableSchema:
        """The table, once the principal may update every one of the live ``record_ids``
        (else 403 for the table, 404 for the first record out of reach)."""
        s = uow.catalog.table(app, table)
        g = guard(uow)
        g.require(s, "update")
        live = store_records.live_ids(uow.conn, s, record_ids)
        mine = g.in_scope(s, list(live), "update") if live else set()
        for rid in record_ids:
            if rid not in mine:
                raise NotFound("record.not_found", id=rid)
        return s
