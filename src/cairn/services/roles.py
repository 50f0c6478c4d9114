"""Roles: what their members may do with apps and tables (admins only, audited)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import Entry, Principal, require_admin, roles
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import changes, system

if TYPE_CHECKING:
    from cairn.services.context import Services


class RoleService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def list_roles(self, principal: Principal) -> dict[str, Any]:
        require_admin(principal)
        with unit_of_work(self.s, write=False) as uow:
            items = [roles.public(uow.conn, uow.catalog, r) for r in roles.all_rows(uow.conn)]
            return {"items": items, "next_cursor": None, "total": len(items)}

    def get_role(self, principal: Principal, ref: str) -> dict[str, Any]:
        require_admin(principal)
        with unit_of_work(self.s, write=False) as uow:
            return roles.public(uow.conn, uow.catalog, roles.by_ref(uow.conn, ref))

    def create_role(self, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
        require_admin(principal)
        with unit_of_work(self.s, principal=principal) as uow:
            role_id = roles.insert(uow.conn, uow.now, body)
            self._apply(uow, role_id, body)
            uow.audit(Entry("permission.role_create", "role", role_id, details=_clean(body)))
            return roles.public(uow.conn, uow.catalog, roles.by_ref(uow.conn, role_id))

    def update_role(self, principal: Principal, ref: str, body: dict[str, Any]) -> dict:
        require_admin(principal)
        with unit_of_work(self.s, principal=principal) as uow:
            row = roles.by_ref(uow.conn, ref)
            changes.touching(uow.conn, system.roles, row.id)
            before = roles.public(uow.conn, uow.catalog, row)
            values = {k: body[k] for k in ("name", "description") if k in body}
            roles.update(uow.conn, row.id, uow.now, **values)
            self._apply(uow, row.id, body)
            after = roles.public(uow.conn, uow.catalog, row)
            uow.audit(
                Entry(
                    "permission.role_update",
                    "role",
                    row.id,
                    details={"before": before, "after": after},
                )
            )
            return after

    def delete_role(self, principal: Principal, ref: str) -> None:
        require_admin(principal)
        with unit_of_work(self.s, principal=principal) as uow:
            row = roles.by_ref(uow.conn, ref)
            changes.touching(uow.conn, system.roles, row.id)
            uow.schema_changed()
            roles.delete(uow.conn, row.id)
            uow.audit(Entry("permission.role_delete", "role", row.id, details={"key": row.key}))

    def _apply(self, uow: UnitOfWork, role_id: int, body: dict[str, Any]) -> None:
        uow.schema_changed()  # cached permissions are per catalogue snapshot
        roles.apply(uow.conn, uow.catalog, self.s.clock, role_id, body)


def _clean(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "password"}
