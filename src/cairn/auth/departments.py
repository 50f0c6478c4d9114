"""The department tree, its managers, and "a user's manager" (used by the process and rule
engines: "the initiator's manager", "escalate to the manager")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.auth import users
from cairn.core import FieldErrors, Invalid, Message, NotFound, is_id
from cairn.meta.checks import check_text
from cairn.store import changes, system

MAX_DEPTH = 64


def public(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "parent_id": row.parent_id,
        "manager_id": row.manager_id,
        "position": row.position,
    }


def get(conn: sa.Connection, department_id: int) -> Any:
    d = system.departments
    row = conn.execute(sa.select(d).where(d.c.id == department_id)).first()
    if row is None:
        raise NotFound("department.not_found", id=department_id)
    return row


def all_rows(conn: sa.Connection) -> list[Any]:
    d = system.departments
    return list(conn.execute(sa.select(d).order_by(d.c.parent_id, d.c.position, d.c.id)))


def subtree_ids(conn: sa.Connection, roots: list[int]) -> set[int]:
    """``roots`` and every department below them (one recursive query)."""
    if not roots:
        return set()
    d = system.departments
    base = sa.select(d.c.id).where(d.c.id.in_(roots)).cte("tree", recursive=True)
    tree = base.union(sa.select(d.c.id).where(d.c.parent_id == base.c.id))
    return set(conn.execute(sa.select(tree.c.id)).scalars())


def member_ids(conn: sa.Connection, department_ids: set[int]) -> list[int]:
    """Users whose primary or other department is one of ``department_ids``."""
    if not department_ids:
        return []
    u, ud = system.users, system.user_departments
    ids = list(department_ids)
    q = sa.union(
        sa.select(u.c.id).where(u.c.department_id.in_(ids)),
        sa.select(ud.c.user_id).where(ud.c.department_id.in_(ids)),
    )
    return sorted(conn.execute(q).scalars())


def user_departments_select(user_id: int) -> sa.Select[Any]:
    """SELECT of the user's department ids (primary and others), for use inside a query."""
    u, ud = system.users, system.user_departments
    return (
        sa.union(
            sa.select(u.c.department_id.label("id")).where(
                u.c.id == user_id, u.c.department_id.is_not(None)
            ),
            sa.select(ud.c.department_id.label("id")).where(ud.c.user_id == user_id),
        )
        .subquery("my_departments")
        .select()
    )


def subtree_select(roots: sa.Select[Any]) -> sa.Select[Any]:
    """SELECT of ``roots`` and every department below them (a recursive CTE). The CTE is
    named by SQLAlchemy when the statement is compiled (each one its own name): one statement
    may hold several, e.g. the row scopes of two department-tree roles."""
    d = system.departments
    base = sa.select(d.c.id).where(d.c.id.in_(roots)).cte(recursive=True)
    tree = base.union(sa.select(d.c.id).where(d.c.parent_id == base.c.id))
    return sa.select(tree.c.id)


def ancestors(conn: sa.Connection, department_id: int) -> list[Any]:
    """The department and its parents, nearest first."""
    out, seen = [], set()
    current: int | None = department_id
    while current is not None and current not in seen and len(out) < MAX_DEPTH:
        seen.add(current)
        row = conn.execute(
            sa.select(system.departments).where(system.departments.c.id == current)
        ).first()
        if row is None:
            break
        out.append(row)
        current = row.parent_id
    return out


def check_parent(conn: sa.Connection, department_id: int | None, parent_id: int | None) -> None:
    if parent_id is None:
        return
    get(conn, parent_id)
    if department_id is not None and parent_id in subtree_ids(conn, [department_id]):
        raise Invalid.on("parent_id", "department.cycle")


def insert(conn: sa.Connection, now: datetime, **values: Any) -> int:
    d = system.departments
    new_id = conn.execute(
        d.insert().values(created_at=now, updated_at=now, **values).returning(d.c.id)
    ).scalar_one()
    changes.created(conn, d, new_id)
    return new_id


def update(conn: sa.Connection, department_id: int, now: datetime, **values: Any) -> None:
    d = system.departments
    changes.touching(conn, d, department_id)
    conn.execute(d.update().where(d.c.id == department_id).values(updated_at=now, **values))


def in_use(conn: sa.Connection, department_id: int) -> bool:
    d, u, ud = system.departments, system.users, system.user_departments
    return any(
        conn.execute(q).first() is not None
        for q in (
            sa.select(d.c.id).where(d.c.parent_id == department_id).limit(1),
            sa.select(u.c.id).where(u.c.department_id == department_id).limit(1),
            sa.select(ud.c.user_id).where(ud.c.department_id == department_id).limit(1),
        )
    )


def delete(conn: sa.Connection, department_id: int) -> None:
    changes.touching(conn, system.departments, department_id)
    conn.execute(system.departments.delete().where(system.departments.c.id == department_id))


def user_department_ids(conn: sa.Connection, user_id: int) -> list[int]:
    """The user's primary department first, then the others."""
    u, ud = system.users, system.user_departments
    primary = conn.execute(sa.select(u.c.department_id).where(u.c.id == user_id)).scalar()
    others = conn.execute(
        sa.select(ud.c.department_id).where(ud.c.user_id == user_id).order_by(ud.c.department_id)
    ).scalars()
    out = [primary] if primary is not None else []
    out += [d for d in others if d not in out]
    return out


def manager_of(conn: sa.Connection, user_id: int) -> int | None:
    """The user's manager: the manager of their primary department; when they manage that
    department themselves (or it has none), the nearest parent's manager who is not them."""
    u = system.users
    primary = conn.execute(sa.select(u.c.department_id).where(u.c.id == user_id)).scalar()
    if primary is None:
        return None
    for dept in ancestors(conn, primary):
        if dept.manager_id is not None and dept.manager_id != user_id:
            return dept.manager_id
    return None


def check_ids(conn: sa.Connection, body: dict[str, Any]) -> None:
    """The ``department_id`` and ``department_ids`` of a user's definition name departments."""
    ids = list(body.get("department_ids") or [])
    if body.get("department_id") is not None:
        ids.append(body["department_id"])
    for i in ids:
        if not isinstance(i, int) or isinstance(i, bool):
            raise Invalid.on("department_id", "value.integer")
        if not is_id(i):
            raise NotFound("department.not_found", id=i)
        get(conn, i)


def checked_values(
    conn: sa.Connection, body: dict[str, Any], department_id: int | None
) -> dict[str, Any]:
    """A department's definition (``department_id`` None: a new one), checked."""
    errors = FieldErrors()
    check_text(errors, body, "name", 200)
    if department_id is None and not body.get("name"):
        errors.add("name", Message("field.required"))
    errors.raise_if_any()
    values = {k: body[k] for k in ("name", "parent_id", "manager_id", "position") if k in body}
    for k in ("parent_id", "manager_id", "position"):
        v = values.get(k)
        if v is not None and (not isinstance(v, int) or isinstance(v, bool)):
            raise Invalid.on(k, "value.integer")
    if "parent_id" in values:
        check_parent(conn, department_id, values["parent_id"])
    if values.get("manager_id") is not None:
        users.resolve(conn, values["manager_id"])
    return values
