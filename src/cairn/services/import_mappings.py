"""Saved column mappings of a table (header → field key), so a monthly export imports in
one click; and what an import may fill."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Principal
from cairn.auth.guard import guard
from cairn.core import Invalid, NotFound
from cairn.imports import mapping as mappings
from cairn.imports.rows import tags_field
from cairn.meta import Field
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import TableSchema
from cairn.store import imports as store

if TYPE_CHECKING:
    from cairn.services.context import Services


class ImportMappingService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def list(self, app: str, table: str, principal: Principal = SYSTEM) -> list[dict[str, Any]]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            may_write(uow, s)
            return [shape(m) for m in store.mappings(uow.conn, s.id)]

    def save(
        self,
        app: str,
        table: str,
        body: dict[str, Any],
        mapping_id: int | None = None,
        principal: Principal = SYSTEM,
    ) -> dict[str, Any]:
        """Create (or, with ``mapping_id``, replace) a saved mapping: ``name`` and ``mapping``
        (header → field key or null); a name saved again replaces that mapping."""
        raw = body["mapping"]
        with unit_of_work(self.s, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            may_write(uow, s)
            header = [str(h)[:500] for h in raw]
            mapped = mappings.check([raw[h] for h in raw], header, targets_of(uow, s))
            if mapping_id is not None and store.mapping(uow.conn, s.id, mapping_id) is None:
                raise NotFound("import.mapping_not_found", id=mapping_id)
            name = body["name"].strip()[:200]
            mid = save_in(uow, s, name, header, mapped, mapping_id)
            return shape(store.mapping(uow.conn, s.id, mid))

    def delete(self, app: str, table: str, mapping_id: int, principal: Principal = SYSTEM) -> None:
        with unit_of_work(self.s, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            may_write(uow, s)
            if store.mapping(uow.conn, s.id, mapping_id) is None:
                raise NotFound("import.mapping_not_found", id=mapping_id)
            store.delete_mapping(uow.conn, mapping_id)


def save_in(
    uow: UnitOfWork,
    s: TableSchema,
    name: str,
    header: list[str],
    mapped: list[str | None],
    mapping_id: int | None = None,
) -> int:
    saved = mappings.as_saved(header, mapped)
    same = store.mapping_named(uow.conn, s.id, name)
    if same is not None and mapping_id is None:
        mapping_id = same.id
    elif same is not None and same.id != mapping_id:
        raise Invalid.on("name", "import.mapping_name", name=name)
    if mapping_id is not None:
        store.update_mapping(uow.conn, mapping_id, name=name, mapping=saved, updated_at=uow.now)
        return mapping_id
    return store.insert_mapping(
        uow.conn,
        table_id=s.id,
        name=name,
        mapping=saved,
        created_by=uow.principal.user_id,
        created_at=uow.now,
        updated_at=uow.now,
    )


def may_write(uow: UnitOfWork, s: TableSchema) -> None:
    """An import is for who may create or update the table's records."""
    g = guard(uow)
    access = g.access(s)
    if not (access.can("create") or access.can("update")):
        g.require(s, "create")


def targets_of(uow: UnitOfWork, s: TableSchema) -> list[Field]:
    """What a column of a record import may fill: the fields (``fields_of``) and the
    records' tags (names of the app's tags, ``imports.rows.TAGS_KEY``)."""
    return [*fields_of(uow, s), tags_field(s.id)]


def fields_of(uow: UnitOfWork, s: TableSchema) -> list[Field]:
    """The fields the principal may fill by import."""
    g = guard(uow)
    access = g.access(s)
    hidden = g.view(s)[0]
    writable = {
        f.id: s.type_of(f).writable and f.id not in hidden and access.writable(f.id)
        for f in s.fields
    }
    return mappings.importable(s.fields, writable)


def shape(m: Any) -> dict[str, Any]:
    return {
        "id": m.id,
        "name": m.name,
        "mapping": m.mapping,
        "updated_at": m.updated_at.isoformat() + "Z",
    }
