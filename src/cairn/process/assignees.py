"""Who does a step: the assignee rules of ``cairn:assignee`` resolved against the organisation.

A rule gives users (a user, a department's manager, the initiator, the initiator's manager N
levels up, the previous step's assignee's manager N levels up, the same person as an earlier
step, a user field of the record, a formula) or groups that members claim (a role
``role:<key>``, a department ``dept:<id>``). The first rule that finds anybody decides; a
manager chain that ends below the level asked for finds nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from cairn.auth import departments, manager_of
from cairn.process.model import AssigneeRule, Starters, Step
from cairn.store import system


@dataclass
class Facts:
    """What the rules look at."""

    initiator_id: int | None
    previous_id: int | None = None
    #: Who last completed each step (for ``same_as`` and for returns).
    completed_by: dict[str, int] = field(default_factory=dict)
    #: Field key → stored value of the bound record.
    record: dict[str, Any] = field(default_factory=dict)
    #: Evaluates a ``formula`` rule (set by the host: it owns the record context).
    formula: Callable[[str], Any] | None = None


@dataclass
class Resolved:
    users: list[int] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.users or self.groups)


def any_user_id(conn: sa.Connection, value: Any) -> int | None:
    """A user by id or user name, active or not (someone who left still has tasks)."""
    u = system.users
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        return None
    if isinstance(value, int):
        q = sa.select(u.c.id).where(u.c.id == value)
    elif value.isdecimal():
        q = sa.select(u.c.id).where(sa.or_(u.c.id == int(value), u.c.username == value))
    else:
        q = sa.select(u.c.id).where(u.c.username == value)
    return conn.execute(q.limit(1)).scalar()


def user_id(conn: sa.Connection, value: Any) -> int | None:
    """A user by id or user name (active users only)."""
    u = system.users
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        value = value.get("id")
    q = sa.select(u.c.id).where(u.c.status == "active")
    if isinstance(value, int | float) and not isinstance(value, bool):
        q = q.where(u.c.id == int(value))
    elif isinstance(value, str) and value.isdecimal():
        q = q.where(sa.or_(u.c.id == int(value), u.c.username == value))
    else:
        q = q.where(u.c.username == str(value))
    return conn.execute(q).scalar()


def role_key(conn: sa.Connection, value: str) -> str | None:
    r = system.roles
    return conn.execute(
        sa.select(r.c.key).where(sa.or_(r.c.key == value, r.c.name == value)).limit(1)
    ).scalar()


def department_id(conn: sa.Connection, value: str) -> int | None:
    d = system.departments
    cond = d.c.id == int(value) if value.isdecimal() else d.c.name == value
    q = sa.select(d.c.id).where(cond)
    return conn.execute(q.limit(1)).scalar()


def members(conn: sa.Connection, group: str) -> list[int]:
    """The active users of ``role:<key>`` or ``dept:<id>`` (primary or other department)."""
    kind, _, value = group.partition(":")
    u = system.users
    if kind == "role":
        r, ur = system.roles, system.user_roles
        q = (
            sa.select(ur.c.user_id)
            .join(r, r.c.id == ur.c.role_id)
            .join(u, u.c.id == ur.c.user_id)
            .where(r.c.key == value, u.c.status == "active")
        )
    elif kind == "dept" and value.isdecimal():
        ud = system.user_departments
        q = sa.select(u.c.id).where(
            u.c.status == "active",
            sa.or_(
                u.c.department_id == int(value),
                u.c.id.in_(sa.select(ud.c.user_id).where(ud.c.department_id == int(value))),
            ),
        )
    else:
        return []
    return sorted(set(conn.execute(q).scalars()))


def groups_of(conn: sa.Connection, user: int) -> list[str]:
    """The candidate groups a user belongs to (what they may claim)."""
    r, ur = system.roles, system.user_roles
    roles = conn.execute(
        sa.select(r.c.key).join(ur, ur.c.role_id == r.c.id).where(ur.c.user_id == user)
    ).scalars()
    depts = departments.user_department_ids(conn, user)
    return [f"role:{k}" for k in roles] + [f"dept:{d}" for d in depts]


def _rule(conn: sa.Connection, rule: AssigneeRule, facts: Facts) -> Resolved:
    v = rule.value or ""
    out = Resolved()
    if rule.kind == "user":
        for part in v.split(","):
            uid = user_id(conn, part.strip())
            if uid is not None:
                out.users.append(uid)
    elif rule.kind == "role":
        for part in v.split(","):
            key = role_key(conn, part.strip())
            if key:
                out.groups.append(f"role:{key}")
    elif rule.kind == "department":
        for part in v.split(","):
            did = department_id(conn, part.strip())
            if did is not None:
                out.groups.append(f"dept:{did}")
    elif rule.kind == "department_manager":
        for part in v.split(","):
            did = department_id(conn, part.strip())
            if did is not None:
                m = departments.get(conn, did).manager_id
                if m is not None:
                    out.users.append(m)
    elif rule.kind == "initiator":
        if facts.initiator_id is not None:
            out.users.append(facts.initiator_id)
    elif rule.kind in ("initiator_manager", "previous_manager"):
        # N levels up the manager chain; a chain that ends lower finds nobody.
        origin = facts.initiator_id if rule.kind == "initiator_manager" else facts.previous_id
        if origin is not None:
            m = manager_chain(conn, origin, rule.levels)
            if m is not None:
                out.users.append(m)
    elif rule.kind == "same_as":
        uid = facts.completed_by.get(v)
        if uid is not None:
            out.users.append(uid)
    elif rule.kind == "field":
        value = facts.record.get(v)
        for item in value if isinstance(value, list) else [value]:
            uid = user_id(conn, item)
            if uid is not None:
                out.users.append(uid)
    elif rule.kind == "formula" and facts.formula is not None:
        value = facts.formula(v)
        for item in value if isinstance(value, list) else [value]:
            uid = user_id(conn, item)
            if uid is not None:
                out.users.append(uid)
    return out


def resolve(conn: sa.Connection, step: Step, facts: Facts) -> Resolved:
    """Users and groups for ``step``: the first rule that finds anybody, then the candidate
    groups, then (no rule at all) the role named like the step's lane."""
    for rule in step.assignees:
        found = _rule(conn, rule, facts)
        if found:
            found.users = list(dict.fromkeys(found.users))
            return found
    out = Resolved()
    for c in step.candidates:
        kind, _, value = c.partition(":")
        if kind == "role":
            key = role_key(conn, value)
            if key:
                out.groups.append(f"role:{key}")
        elif kind == "dept":
            did = department_id(conn, value)
            if did is not None:
                out.groups.append(f"dept:{did}")
    if not out and not step.assignees and step.lane:
        key = role_key(conn, step.lane)
        if key:
            out.groups.append(f"role:{key}")
    return out


def expand(conn: sa.Connection, found: Resolved) -> list[int]:
    """Every user of a resolution (a countersign's signers)."""
    users = list(found.users)
    for g in found.groups:
        users += members(conn, g)
    return list(dict.fromkeys(users))


def manager_chain(conn: sa.Connection, user: int, levels: int) -> int | None:
    """The manager ``levels`` steps up from ``user`` (1: their manager)."""
    current: int | None = user
    seen: set[int] = set()
    for _ in range(levels):
        if current is None or current in seen:
            return None
        seen.add(current)
        current = manager_of(conn, current)
    return current


def users_exist(conn: sa.Connection, ids: Iterable[int]) -> set[int]:
    u = system.users
    ids = list(ids)
    if not ids:
        return set()
    return set(
        conn.execute(sa.select(u.c.id).where(u.c.id.in_(ids), u.c.status == "active")).scalars()
    )


def may_start(conn: sa.Connection, starters: Starters, user: int | None, username: str) -> bool:
    """Is the user among a process's starters (any of its roles, departments or users)?
    No starters: anyone (who may read the record: the caller checks that)."""
    if starters.anyone:
        return True
    if user is None:
        return False
    if username in starters.users:
        return True
    mine = set(groups_of(conn, user))
    return any(f"role:{r}" in mine for r in starters.roles) or any(
        f"dept:{d}" in mine for d in starters.departments
    )
