"""Tables: list, create (with their fields), change (name, display field, validation rules),
delete into the recycle bin and restore; the app's recycle bin of tables and fields."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Principal, manages_app, manages_table
from cairn.core import FieldErrors, Forbidden, Invalid, NotFound
from cairn.meta.checks import check_key, check_name, display_updates
from cairn.query.definitions import deleted_field_public, deleted_table_public, table_public
from cairn.query.dependents import table_users
from cairn.query.validation_rules import MAX_RULES, check_validation_rules
from cairn.services.fields import FieldService, with_workdays
from cairn.services.shown import listed_or_403, masked_keys, shown_tables, unlisted
from cairn.services.subforms import refuse_table_change, rows_users
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import ddl, system

if TYPE_CHECKING:
    from cairn.services.context import Services


class TableService:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.field_service = FieldService(services)

    def list_tables(self, app_key: str, principal: Principal = SYSTEM) -> list[dict[str, Any]]:
        """The app's tables that ``principal`` may read, add to or design, each with what
        they may do with it (``permissions``)."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            app = uow.catalog.app(app_key)
            return shown_tables(uow, app.id)

    def get_table(
        self, app_key: str, table_key: str, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app_key, table_key)
            permissions = listed_or_403(uow, s)
            hidden = unlisted(uow, s, permissions)
            return {
                **table_public(uow.catalog, s, hidden=hidden),
                "permissions": permissions,
                "masked_fields": masked_keys(uow, s),
            }

    def create_table(self, app_key: str, data: dict[str, Any]) -> dict[str, Any]:
        with unit_of_work(self.s) as uow:
            schema = self.create_table_in(uow, app_key, data)
            return table_public(uow.catalog, uow.catalog.schema(schema))

    def create_table_in(self, uow: UnitOfWork, app_key: str, data: dict[str, Any]) -> int:
        if not isinstance(data, dict):
            raise Invalid.on("body", "filter.shape")
        key = check_key(data.get("key"))
        name = check_name(data.get("name", key))
        fields = data.get("fields") or []
        if not isinstance(fields, list):
            raise Invalid.on("fields", "value.choices")
        app = uow.catalog.app(app_key)
        if any(s.table.key == key for s in uow.catalog.tables_of(app.id)):
            raise Invalid.on("key", "key.taken", key=key)
        table_id = uow.insert_definition(
            system.tables,
            app_id=app.id,
            key=key,
            name=name,
            description=str(data.get("description") or ""),
            position=len(uow.catalog.tables_of(app.id)),
            created_at=uow.now,
            updated_at=uow.now,
        )
        ddl.create_record_table(uow.conn, table_id)
        errors = FieldErrors()
        for i, spec in enumerate(fields):
            try:
                self.field_service.create_field_in(uow, app_key, key, spec)
            except Invalid as e:
                errors.merge(f"fields.{i}.", e)
        errors.raise_if_any()
        if data.get("display_field"):
            _set_display_field(uow, app_key, key, data["display_field"])
        if data.get("validation_rules"):
            self.set_validation_rules_in(uow, app_key, key, data["validation_rules"])
        return table_id

    def update_table(self, app_key: str, table_key: str, data: dict[str, Any]) -> dict[str, Any]:
        with unit_of_work(self.s) as uow:
            s = uow.catalog.table(app_key, table_key)
            values = display_updates(data)
            if values:
                uow.update_definitions(system.tables, s.id, **values, updated_at=uow.now)
            if "display_field" in data:
                _set_display_field(uow, app_key, table_key, data["display_field"])
            if "validation_rules" in data:
                self.set_validation_rules_in(uow, app_key, table_key, data["validation_rules"])
            return table_public(uow.catalog, uow.catalog.schema(s.id))

    def set_validation_rules_in(
        self, uow: UnitOfWork, app_key: str, table_key: str, raw: Any
    ) -> None:
        """Replace a table's validation rules (``query.validation_rules`` checks them); they
        are stored with field ids, so renaming a field keeps them."""
        if raw is None:
            raw = []
        if not isinstance(raw, list) or len(raw) > MAX_RULES:
            raise Invalid.on("validation_rules", "table.rules_shape")
        cat = with_workdays(uow)
        s = cat.table(app_key, table_key)
        rules = check_validation_rules(cat, s, raw, self.s.clock)
        uow.update_definitions(
            system.tables, s.id, validation_rules=rules or None, updated_at=uow.now
        )

    def delete_table(self, app_key: str, table_key: str) -> None:
        with unit_of_work(self.s) as uow:
            s = uow.catalog.table(app_key, table_key)
            refuse_table_change(s, "delete")
            users = table_users(uow.catalog, s) + rows_users(uow.catalog, s)
            if users:
                raise Invalid.on("table", "table.in_use", users=users)
            uow.update_definitions(system.tables, s.id, deleted_at=uow.now)

    def restore_table(self, app_key: str, table_id: int) -> dict[str, Any]:
        with unit_of_work(self.s) as uow:
            app = uow.catalog.app(app_key)
            t = uow.catalog.all_tables.get(table_id)
            if t is None or t.app_id != app.id:
                raise NotFound("table.not_found", table=table_id)
            if t.deleted_at is None:
                raise Invalid.on("table", "recycle.not_deleted", key=t.key)
            if any(s.table.key == t.key for s in uow.catalog.tables_of(app.id)):
                raise Invalid.on("key", "key.taken", key=t.key)
            uow.update_definitions(system.tables, t.id, deleted_at=None)
            return table_public(uow.catalog, uow.catalog.schema(t.id))

    def recycle_bin(self, app_key: str, principal: Principal = SYSTEM) -> dict[str, Any]:
        """The app's deleted tables and fields, for those who could restore them: all of it
        for those who manage the app, the deleted fields of their tables for a table's
        managers; 403 for anyone else. (A read-only token reads what its user manages.)"""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            cat = uow.catalog
            app = cat.app(app_key)
            reader = replace(principal, read_only=False)
            whole = manages_app(uow.conn, reader, app.id)
            managed = [
                s for s in cat.tables_of(app.id) if whole or manages_table(uow.conn, reader, s)
            ]
            if not managed and not whole:
                raise Forbidden("auth.forbidden")
            tables = [
                deleted_table_public(t) for t in (cat.deleted_tables(app.id) if whole else [])
            ]
            fields = [
                deleted_field_public(cat, s, f)
                for s in managed
                for f in cat.deleted_fields(s.id)
                if not f.options.get("reverse_of")
            ]
            return {"tables": tables, "fields": fields}


def _set_display_field(uow: UnitOfWork, app_key: str, table_key: str, fkey: Any) -> None:
    s = uow.catalog.table(app_key, table_key)
    fid = None
    if fkey is not None:
        f = s.by_key.get(fkey) if isinstance(fkey, str) else None
        if f is None:
            raise Invalid.on("display_field", "field.unknown", key=fkey)
        fid = f.id
    uow.update_definitions(system.tables, s.id, display_field_id=fid)
