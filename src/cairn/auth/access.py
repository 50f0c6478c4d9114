"""Effective permissions of a principal on one table: which actions, which rows, which fields.

A user's roles combine permissively: an action is allowed when any role grants it; the rows are
the union (OR) of the scopes of the roles granting that action; a field is as open as the most
open rule among the roles granting read (no rule is full access). Administrators and the system
see everything. The row scope is a SQL condition ANDed into the one page query."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from cairn.auth import departments
from cairn.auth.operations import ACTIONS, FIELD_ACCESS, ME, SCOPED
from cairn.auth.principal import Principal
from cairn.core import Clock
from cairn.query import compile_filter
from cairn.store import Catalog, TableSchema, system

_OPEN = len(FIELD_ACCESS)  # rank of full access


@dataclass(frozen=True)
class Grant:
    role_id: int
    role_key: str
    actions: frozenset[str]
    scope: str
    row_filter: Any


@dataclass
class TableAccess:
    principal: Principal
    table_id: int
    unrestricted: bool
    grants: list[Grant] = field(default_factory=list)
    #: field id → "hidden" | "masked" | "read_only" (only fields short of full access)
    fields: dict[int, str] = field(default_factory=dict)
    #: per field id, the role keys whose rule decided (for explain)
    field_roles: dict[int, list[str]] = field(default_factory=dict)

    def can(self, action: str) -> bool:
        if self.unrestricted:
            return not (self.principal.read_only and action not in ("read", "export"))
        if self.principal.read_only and action not in ("read", "export"):
            return False
        return any(action in g.actions for g in self.grants)

    @property
    def hidden(self) -> set[int]:
        return {f for f, a in self.fields.items() if a == "hidden"}

    @property
    def masked(self) -> set[int]:
        return {f for f, a in self.fields.items() if a == "masked"}

    def writable(self, field_id: int) -> bool:
        """Hidden and read-only fields are refused; a masked one may be written (the writer
        knows the value they type) but reads back masked."""
        return self.fields.get(field_id, "masked") == "masked"

    def scoped(self, action: str) -> bool:
        """True when ``action`` is limited to some rows (not all)."""
        if self.unrestricted:
            return False
        return not any(action in g.actions and g.scope == "all" for g in self.grants)

    def row_where(
        self,
        conn: sa.Connection,
        catalog: Catalog,
        schema: TableSchema,
        clock: Clock,
        action: str = "read",
        source: Any = None,
    ) -> sa.ColumnElement[bool] | None:
        """The condition on ``schema``'s rows for ``action``; None when every row qualifies."""
        if action not in SCOPED or not self.scoped(action):
            return None
        t = schema.sa_table if source is None else source
        me = self.principal.user_id
        parts: list[sa.ColumnElement[bool]] = []
        for g in self.grants:
            if action not in g.actions:
                continue
            if g.scope == "own":
                parts.append(t.c.owner_id == me)
            elif g.scope in ("department", "department_tree") and me is not None:
                # Sub-selects in the same statement: no extra round trip per request.
                parts.append(t.c.owner_id.in_(_members(me, g.scope)))
            elif g.scope == "filter" and g.row_filter:
                tree = _substitute(g.row_filter, me)
                parts.append(compile_filter(catalog, schema, tree, clock))
        return sa.or_(sa.false(), *parts)

    def owners(self, action: str = "read") -> sa.Select[Any] | None:
        """When the row scope of ``action`` is exactly "rows owned by these users" (every
        granting role's scope is own, department or department tree), a SELECT of those
        users' ids, resolved in SQL when it runs; else None (every row, or a row filter)."""
        if action not in SCOPED or not self.scoped(action) or self.principal.user_id is None:
            return None
        me = self.principal.user_id
        selects: list[sa.Select[Any]] = []
        for g in self.grants:
            if action not in g.actions:
                continue
            if g.scope == "own":
                u = system.users
                selects.append(sa.select(u.c.id).where(u.c.id == me))
            elif g.scope in ("department", "department_tree"):
                selects.append(_members(me, g.scope))
            else:
                return None
        if not selects:
            return None
        return selects[0] if len(selects) == 1 else sa.union(*selects).subquery().select()


def _members(user_id: int, scope: str) -> sa.Select[Any]:
    """SELECT of the users whose primary department is one of ``user_id``'s departments
    (``department``) or below them (``department_tree``)."""
    depts = departments.user_departments_select(user_id)
    if scope == "department_tree":
        depts = departments.subtree_select(depts)
    u = system.users
    return sa.select(u.c.id).where(u.c.department_id.in_(depts))


#: Who ``$me`` stands for when a row filter is checked without a reader: any valid user id
#: (a user field refuses 0 and negatives, as it would refuse them from a reader).
_ANY_READER = 1


def check_row_filter(catalog: Catalog, schema: TableSchema, tree: Any, clock: Clock) -> None:
    """Compile a role's row filter as it will be compiled for a reader (``$me`` replaced by
    a user id), so a bad filter is refused when the role is saved, not on every later read."""
    compile_filter(catalog, schema, _substitute(tree, _ANY_READER), clock)


def _substitute(tree: Any, me: int | None) -> Any:
    if isinstance(tree, dict):
        return {k: _substitute(v, me) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_substitute(v, me) for v in tree]
    return me if tree == ME else tree


@dataclass
class RowsAccess(TableAccess):
    """The access to a sub-form's rows: their parent table's, through the sub-form field.
    The actions are the parent's (rows are written through the parent record); the rows are
    those of the parent records in the action's row scope; the field rule on the sub-form
    field applies to every column (hidden: the rows cannot be read at all)."""

    parent: TableAccess | None = None

    def row_where(
        self,
        conn: sa.Connection,
        catalog: Catalog,
        schema: TableSchema,
        clock: Clock,
        action: str = "read",
        source: Any = None,
    ) -> sa.ColumnElement[bool] | None:
        if action not in SCOPED or not self.scoped(action) or self.parent is None:
            return None
        ps = schema.parent
        assert ps is not None
        where = self.parent.row_where(conn, catalog, ps, clock, action)
        t = schema.sa_table if source is None else source
        pt = ps.sa_table
        parents = sa.select(pt.c.id).where(pt.c.deleted_at.is_(None))
        return t.c.parent_id.in_(parents if where is None else parents.where(where))

    def owners(self, action: str = "read") -> sa.Select[Any] | None:
        return None  # rows are owned through their parent: no per-owner pages


def _rows_access(conn: sa.Connection, principal: Principal, schema: TableSchema) -> TableAccess:
    ps, pf = schema.parent, schema.parent_field
    assert ps is not None and pf is not None
    parent = for_table(conn, principal, ps)
    if parent.unrestricted:
        return TableAccess(principal, schema.id, True)
    rule = parent.fields.get(pf.id)
    grants = parent.grants
    if rule == "hidden":  # nothing of the rows may be seen, nor written through the parent
        grants = [
            Grant(g.role_id, g.role_key, g.actions & {"manage"}, g.scope, g.row_filter)
            for g in grants
        ]
    access = RowsAccess(principal, schema.id, False, grants, parent=parent)
    if rule in ("masked", "read_only"):
        roles = parent.field_roles.get(pf.id, [])
        for f in schema.fields:
            access.fields[f.id] = rule
            access.field_roles[f.id] = roles
    return access


def for_table(conn: sa.Connection, principal: Principal, schema: TableSchema) -> TableAccess:
    """What ``principal`` may do with ``schema``'s records (two small queries for a member).
    A sub-form's rows take their parent table's access (``RowsAccess``)."""
    if schema.parent is not None:
        return _rows_access(conn, principal, schema)
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


# -- who may read one record: the row scopes of read, turned around --------------------------


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
            if _names_me(g.row_filter):
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


def _names_me(tree: Any) -> bool:
    if isinstance(tree, dict):
        return any(_names_me(v) for v in tree.values())
    if isinstance(tree, list):
        return any(_names_me(v) for v in tree)
    return tree == ME


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
            compile_filter(catalog, schema, _substitute(g.row_filter, uid), clock)
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
