"""Who may read one record: the row scopes of read, turned around. Instead of the rows one
user reads (``TableAccess.row_where``), the users one row is read by, as one condition on the
users table."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from cairn.auth import departments, row_scope
from cairn.auth.table_access import Grant
from cairn.core import Clock
from cairn.query import compile_filter
from cairn.store import Catalog, TableSchema, system


def record_readers(
    conn: sa.Connection,
    catalog: Catalog,
    schema: TableSchema,
    clock: Clock,
    record_id: int,
    among: Sequence[sa.ColumnElement[bool]] = (),
    limit: int | None = None,
) -> list[int]:
    """The ids of the active users matching ``among`` (conditions on ``system.users``) who may
    read the live record ``record_id`` of ``schema`` (its table and row scope), in id order, the
    first ``limit``. Set-based: instead of the rows one user reads (``row_where``), the users
    one row is read by, as one condition on the users table (``readers_where``). Only a role
    whose row filter names the user (``$me``) cannot be turned around; its members are checked
    a batch at a time, one query per batch."""
    u = system.users
    where, by_user = readers_where(conn, catalog, schema, clock, record_id)
    base = [u.c.status == "active", *among]
    q = sa.select(u.c.id).where(*base, where).order_by(u.c.id)
    found = list(conn.execute(q if limit is None else q.limit(limit)).scalars())
    if not by_user:
        return found
    # Members of a "$me" role not already found: checked in batches, only as far as they can
    # still make the first ``limit``.
    ur = system.user_roles
    roles = {g.role_id for g in by_user}
    rest = sa.select(u.c.id).where(
        *base,
        sa.not_(where),
        u.c.id.in_(sa.select(ur.c.user_id).where(ur.c.role_id.in_(roles))),
    )
    if limit is not None and len(found) >= limit:
        rest = rest.where(u.c.id < found[-1])
    batch = max(limit or 0, 50)
    after = 0
    extra: list[int] = []
    while True:
        ids = list(conn.execute(rest.where(u.c.id > after).order_by(u.c.id).limit(batch)).scalars())
        if not ids:
            break
        extra += _read_by_filter(conn, catalog, schema, clock, record_id, by_user, ids)
        after = ids[-1]
        if limit is not None and len(extra) >= limit:
            break
    out = sorted({*found, *extra})
    return out if limit is None else out[:limit]


def readers_where(
    conn: sa.Connection, catalog: Catalog, schema: TableSchema, clock: Clock, record_id: int
) -> tuple[sa.ColumnElement[bool], list[Grant]]:
    """A condition on ``system.users``: the user may read the record, by being an
    administrator or by a role granting read whose row scope takes the record in (the mirror
    of ``TableAccess.row_where``: own → the owner; department → members of the owner's
    department; department tree → members of it or of a department above it; a filter → every
    member when the record matches). Also the grants with a filter naming the user ($me),
    which no condition on users expresses: their members are for ``_read_by_filter``."""
    u, ur, rt, r = system.users, system.user_roles, system.role_tables, system.roles
    t = schema.sa_table
    record = conn.execute(
        sa.select(t.c.owner_id).where(t.c.id == record_id, t.c.deleted_at.is_(None))
    ).first()
    if record is None:
        return sa.false(), []
    owner = record.owner_id
    owner_dept = (
        conn.execute(sa.select(u.c.department_id).where(u.c.id == owner)).scalar()
        if owner is not None
        else None
    )
    grants = [
        Grant(row.role_id, row.key, frozenset({"read"}), row.row_scope, row.row_filter)
        for row in conn.execute(
            sa.select(rt.c.role_id, rt.c.row_scope, rt.c.row_filter, r.c.key)
            .select_from(rt.join(r, r.c.id == rt.c.role_id))
            .where(rt.c.table_id == schema.id, rt.c.can_read.is_(True))
            .order_by(rt.c.role_id)
        )
    ]
    parts: list[sa.ColumnElement[bool]] = [u.c.is_admin.is_(True)]
    by_user: list[Grant] = []
    for g in grants:
        member = u.c.id.in_(sa.select(ur.c.user_id).where(ur.c.role_id == g.role_id))
        if g.scope == "all":
            parts.append(member)
        elif g.scope == "own" and owner is not None:
            parts.append(sa.and_(member, u.c.id == owner))
        elif g.scope in ("department", "department_tree") and owner_dept is not None:
            depts = (
                [owner_dept]
                if g.scope == "department"
                else [d.id for d in departments.ancestors(conn, owner_dept)]
            )
            parts.append(sa.and_(member, _in_departments(depts)))
        elif g.scope == "filter" and g.row_filter:
            if row_scope.names_me(g.row_filter):
                by_user.append(g)
                continue
            match = compile_filter(catalog, schema, g.row_filter, clock)
            hit = sa.exists(
                sa.select(t.c.id).where(t.c.id == record_id, t.c.deleted_at.is_(None), match)
            )
            parts.append(sa.and_(member, hit))
    return sa.or_(*parts), by_user


def _in_departments(depts: list[int]) -> sa.ColumnElement[bool]:
    """The user belongs to one of ``depts`` (as primary department or another one)."""
    u, ud = system.users, system.user_departments
    return sa.or_(
        u.c.department_id.in_(depts),
        u.c.id.in_(sa.select(ud.c.user_id).where(ud.c.department_id.in_(depts))),
    )


def _read_by_filter(
    conn: sa.Connection,
    catalog: Catalog,
    schema: TableSchema,
    clock: Clock,
    record_id: int,
    grants: list[Grant],
    user_ids: list[int],
) -> list[int]:
    """Which of ``user_ids`` read the record through one of ``grants`` (filters naming the
    user): one query for their memberships, one for the checks (a column per user)."""
    ur = system.user_roles
    roles: dict[int, set[int]] = {}
    for uid, rid in conn.execute(
        sa.select(ur.c.user_id, ur.c.role_id).where(
            ur.c.user_id.in_(user_ids), ur.c.role_id.in_({g.role_id for g in grants})
        )
    ):
        roles.setdefault(uid, set()).add(rid)
    t = schema.sa_table
    checks = []
    for uid in user_ids:
        conds = [
            compile_filter(catalog, schema, row_scope.substitute(g.row_filter, uid), clock)
            for g in grants
            if g.role_id in roles.get(uid, ())
        ]
        if conds:
            live = sa.select(t.c.id).where(
                t.c.id == record_id, t.c.deleted_at.is_(None), sa.or_(*conds)
            )
            checks.append(sa.exists(live).label(f"u{uid}"))
    if not checks:
        return []
    row = conn.execute(sa.select(*checks)).one()
    return [int(k[1:]) for k, v in row._mapping.items() if v]
