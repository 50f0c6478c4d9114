"""What the signed-in member may do, for the UI to offer only that: globally (administrator,
create apps), per app (manage it: tables, the 360° settings, rules, processes, dashboards) and
per table (create, read, update, delete, export, manage). Computed by the permission layer the
server enforces (the guard's table access, ``manages_app``, ``manages_table``), never by rules
of its own."""

from __future__ import annotations

from typing import Any

from cairn.auth import Principal, manages_app, manages_table
from cairn.auth.guard import guard
from cairn.auth.operations import ACTIONS
from cairn.meta import App
from cairn.services.uow import UnitOfWork
from cairn.store import TableSchema


def global_permissions(principal: Principal) -> dict[str, bool]:
    """Creating apps (``POST /apps``) is for administrators, as is the administration."""
    admin = principal.is_admin and not principal.read_only
    return {"admin": admin, "create_apps": admin}


def app_permissions(uow: UnitOfWork, app: App) -> dict[str, bool]:
    return {"manage": manages_app(uow.conn, uow.principal, app.id)}


def table_permissions(uow: UnitOfWork, s: TableSchema) -> dict[str, bool]:
    access = guard(uow).access(s)
    out = {a: access.can(a) for a in ACTIONS}
    out["manage"] = manages_table(uow.conn, uow.principal, s, access)
    return out


def shown(permissions: dict[str, Any]) -> bool:
    """Is a table listed to the member: may they read its records, add to it or design it?"""
    return bool(permissions["read"] or permissions["create"] or permissions["manage"])
