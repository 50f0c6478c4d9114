"""Departments: the tree administrators keep (admins only, audited)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import Entry, Principal, departments, require_admin
from cairn.core import Conflict
from cairn.services.uow import unit_of_work

if TYPE_CHECKING:
    from cairn.services.context import Services


class DepartmentService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def list_departments(self) -> dict[str, Any]:
        with unit_of_work(self.s, write=False) as uow:
            items = [departments.public(r) for r in departments.all_rows(uow.conn)]
            return {"items": items, "next_cursor": None, "total": len(items)}

    def create_department(self, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
        require_admin(principal)
        with unit_of_work(self.s, principal=principal) as uow:
            values = departments.checked_values(uow.conn, body, None)
            dept_id = departments.insert(uow.conn, uow.now, **values)
            uow.audit(Entry("department.create", "department", dept_id, details=values))
            return departments.public(departments.get(uow.conn, dept_id))

    def update_department(self, principal: Principal, dept_id: int, body: dict) -> dict:
        require_admin(principal)
        with unit_of_work(self.s, principal=principal) as uow:
            before = departments.get(uow.conn, dept_id)
            values = departments.checked_values(uow.conn, body, dept_id)
            departments.update(uow.conn, dept_id, uow.now, **values)
            changes = {k: [getattr(before, k), v] for k, v in values.items()}
            uow.audit(
                Entry("department.update", "department", dept_id, details={"changes": changes})
            )
            return departments.public(departments.get(uow.conn, dept_id))

    def delete_department(self, principal: Principal, dept_id: int) -> None:
        require_admin(principal)
        with unit_of_work(self.s, principal=principal) as uow:
            departments.get(uow.conn, dept_id)
            if departments.in_use(uow.conn, dept_id):
                raise Conflict("department.in_use")
            departments.delete(uow.conn, dept_id)
            uow.audit(Entry("department.delete", "department", dept_id))
