"""Effective permissions of a principal on one table: which actions, which rows, which fields.

A user's roles combine permissively: an action is allowed when any role grants it; the rows are
the union (OR) of the scopes of the roles granting that action (``row_scope``); a field is as
open as the most open rule among the roles granting read (no rule is full access).
Administrators and the system see everything. The row scope is a SQL condition ANDed into the
one page query. Also: who manages an app or a table, and the keys of a user's roles."""

from __future__ import annotations

import sqlalchemy as sa

from cairn.auth.operations import ACTIONS, FIELD_ACCESS
from cairn.auth.principal import Principal
from cairn.auth.table_access import Grant, TableAccess, rows_access
from cairn.store import TableSchema, system

_OPEN = len(FIELD_ACCESS)  # rank of full access


def for_table(conn: sa.Connection, principal: Principal, schema: TableSchema) -> TableAccess:
    """What ``principal`` may do with ``schema``'s records (two small queries for a member).
    A sub-form's rows take their parent table's access (``RowsAccess``)."""
    if schema.parent is not None:
        return rows_access(principal, schema, for_table(conn, principal, schema.parent))
    if principal.is_admin or principal.user_id is None:
        return TableAccess(principal, schema.id, True)
    ur, rt, r = system.user_roles, system.role_tables, system.roles
    rows = conn.execute(
        sa.select(rt, r.c.key)
        .select_from(ur.join(rt, rt.c.role_id == ur.c.role_id).join(r, r.c.id == ur.c.role_id))
        .where(ur.c.user_id == principal.user_id, rt.c.table_id == schema.id)
        .order_by(rt.c.role_id)
    ).all()
    grants = [
        Grant(
            row.role_id,
            row.key,
            frozenset(a for a in ACTIONS if getattr(row, f"can_{a}")),
            row.row_scope,
            row.row_filter,
        )
        for row in rows
    ]
    access = TableAccess(principal, schema.id, False, grants)
    readers = [g for g in grants if "read" in g.actions]
    if readers:
        rf = system.role_fields
        rules: dict[int, dict[int, str]] = {}
        for fid, role_id, a in conn.execute(
            sa.select(rf.c.field_id, rf.c.role_id, rf.c.access).where(
                rf.c.role_id.in_([g.role_id for g in readers]),
                rf.c.field_id.in_([f.id for f in schema.fields]),
            )
        ):
            rules.setdefault(fid, {})[role_id] = a
        keys = {g.role_id: g.role_key for g in readers}
        for fid, per_role in rules.items():
            rank = min(
                (FIELD_ACCESS.index(per_role[g.role_id]) if g.role_id in per_role else _OPEN)
                for g in readers
            )
            if rank < _OPEN:
                access.fields[fid] = FIELD_ACCESS[rank]
                access.field_roles[fid] = [keys[r] for r in per_role]
    return access


def manages_app(conn: sa.Connection, principal: Principal, app_id: int) -> bool:
    """Administrators, and members of a role that manages the app."""
    if principal.is_admin or principal.user_id is None:
        return not principal.read_only
    if principal.read_only:
        return False
    ur, ra = system.user_roles, system.role_apps
    q = (
        sa.select(ra.c.app_id)
        .select_from(ur.join(ra, ra.c.role_id == ur.c.role_id))
        .where(ur.c.user_id == principal.user_id, ra.c.app_id == app_id)
        .limit(1)
    )
    return conn.execute(q).first() is not None


def managed_apps(conn: sa.Connection, principal: Principal) -> set[int] | None:
    """The ids of the apps ``principal`` manages (through a role); None: every app
    (administrators and the system)."""
    if principal.is_admin or principal.user_id is None:
        return None
    ur, ra = system.user_roles, system.role_apps
    q = (
        sa.select(ra.c.app_id)
        .select_from(ur.join(ra, ra.c.role_id == ur.c.role_id))
        .where(ur.c.user_id == principal.user_id)
    )
    return set(conn.execute(q).scalars())


def manages_table(
    conn: sa.Connection,
    principal: Principal,
    schema: TableSchema,
    access: TableAccess | None = None,
) -> bool:
    """May ``principal`` change ``schema``'s definition (and what is shared about it, such as
    shared grid views)? Administrators, the app's managers, and roles that manage the table.
    ``access``: the principal's access to ``schema`` when the caller has it already."""
    if principal.is_admin or principal.user_id is None:
        return not principal.read_only
    if access is None:
        access = for_table(conn, principal, schema)
    return access.can("manage") or manages_app(conn, principal, schema.app.id)


def role_keys(conn: sa.Connection, user_id: int) -> set[str]:
    """The keys of the roles ``user_id`` is a member of."""
    ur, r = system.user_roles, system.roles
    q = sa.select(r.c.key).select_from(ur.join(r, r.c.id == ur.c.role_id))
    return set(conn.execute(q.where(ur.c.user_id == user_id)).scalars())


def known_role_keys(conn: sa.Connection, keys: list[str]) -> set[str]:
    r = system.roles
    return set(conn.execute(sa.select(r.c.key).where(r.c.key.in_(keys))).scalars())
