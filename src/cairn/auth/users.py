"""Users: the rows behind sign-in, their public shape and look-ups."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.core import Conflict, FieldErrors, Invalid, NotFound, id_from_text, is_id
from cairn.meta.checks import check_text
from cairn.store import changes, system

USERNAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
STATUSES = ("active", "disabled")


def check_username(username: Any) -> str:
    if not isinstance(username, str) or not USERNAME.match(username.strip()):
        raise Invalid.on("username", "user.username")
    return username.strip()


#: The texts of a user's profile and their longest lengths.
PROFILE_TEXTS = (
    ("display_name", 200),
    ("email", 254),
    ("mobile", 32),
    ("language", 16),
    ("wecom_userid", 64),
    ("dingtalk_userid", 64),
)
#: A user's ids on the work platforms (one person each: unique), and the platform's name.
IM_IDS = {"wecom_userid": "WeCom", "dingtalk_userid": "DingTalk"}


def profile_errors(body: dict[str, Any]) -> FieldErrors:
    """What is wrong with the profile texts of ``body`` (the caller adds and raises)."""
    errors = FieldErrors()
    for key, n in PROFILE_TEXTS:
        check_text(errors, body, key, n)
    return errors


def public(row: Any, other_departments: list[int] | None = None) -> dict[str, Any]:
    m = row._mapping
    out = {
        "id": m["id"],
        "username": m["username"],
        "display_name": m["display_name"],
        "email": m["email"],
        "mobile": m["mobile"],
        "status": m["status"],
        "is_admin": bool(m["is_admin"]),
        "language": m["language"],
        "department_id": m["department_id"],
        "wecom_userid": m["wecom_userid"],
        "dingtalk_userid": m["dingtalk_userid"],
    }
    if other_departments is not None:
        out["department_ids"] = other_departments
    return out


def by_username(conn: sa.Connection, username: str) -> Any:
    u = system.users
    return conn.execute(sa.select(u).where(u.c.username == username)).first()


def by_id(conn: sa.Connection, user_id: int) -> Any:
    u = system.users
    return conn.execute(sa.select(u).where(u.c.id == user_id)).first()


def resolve(conn: sa.Connection, ref: int | str) -> Any:
    """A user by id or user name; ``NotFound`` otherwise."""
    row = None
    as_id = id_from_text(ref) if isinstance(ref, str) else ref
    if is_id(as_id):
        row = by_id(conn, as_id)
    if row is None and isinstance(ref, str):
        row = by_username(conn, ref)
    if row is None:
        raise NotFound("user.not_found", user=str(ref))
    return row


def check_im_ids(conn: sa.Connection, user_id: int | None, values: dict[str, Any]) -> None:
    """The WeCom / DingTalk user ids in ``values`` belong to nobody else (``Conflict``)."""
    u = system.users
    for key, platform in IM_IDS.items():
        v = values.get(key)
        if not v:
            continue
        q = sa.select(u.c.id).where(u.c[key] == v)
        if user_id is not None:
            q = q.where(u.c.id != user_id)
        if conn.execute(q.limit(1)).first() is not None:
            raise Conflict("user.im_taken", platform=platform, value=v)


def im_values(body: dict[str, Any]) -> dict[str, Any]:
    """The platform ids given in ``body``, blank ones as None (an id removed)."""
    out: dict[str, Any] = {}
    for key in IM_IDS:
        if key in body:
            v = body[key]
            out[key] = v.strip() or None if isinstance(v, str) else None
    # A new DingTalk user id: the unionId kept for the old one no longer applies.
    if "dingtalk_userid" in out:
        out["dingtalk_unionid"] = None
    return out


def insert(conn: sa.Connection, now: datetime, **values: Any) -> int:
    u = system.users
    if by_username(conn, values["username"]) is not None:
        raise Conflict("user.taken", username=values["username"])
    check_im_ids(conn, None, values)
    new_id = conn.execute(
        u.insert().values(created_at=now, updated_at=now, **values).returning(u.c.id)
    ).scalar_one()
    changes.created(conn, u, new_id)
    return new_id


def update(conn: sa.Connection, user_id: int, now: datetime, **values: Any) -> None:
    u = system.users
    changes.touching(conn, u, user_id)
    conn.execute(u.update().where(u.c.id == user_id).values(updated_at=now, **values))


def other_departments(conn: sa.Connection, user_id: int) -> list[int]:
    ud = system.user_departments
    q = sa.select(ud.c.department_id).where(ud.c.user_id == user_id).order_by(ud.c.department_id)
    return list(conn.execute(q).scalars())


def set_other_departments(conn: sa.Connection, user_id: int, ids: list[int]) -> None:
    ud = system.user_departments
    changes.touching(conn, system.users, user_id)
    conn.execute(ud.delete().where(ud.c.user_id == user_id))
    if ids:
        conn.execute(ud.insert(), [{"user_id": user_id, "department_id": d} for d in ids])


def count_active_admins(conn: sa.Connection) -> int:
    u = system.users
    q = sa.select(sa.func.count()).where(u.c.is_admin.is_(True), u.c.status == "active")
    return conn.execute(q).scalar_one()


def any_user(conn: sa.Connection) -> bool:
    return conn.execute(sa.select(system.users.c.id).limit(1)).first() is not None


def admin_view(conn: sa.Connection, ids: list[int]) -> list[dict[str, Any]]:
    """Users as an administrator sees them, in the order of ``ids``: three queries for any
    number of them (a directory of hundreds lists as fast as one)."""
    if not ids:
        return []
    u, ud, ur, r = system.users, system.user_departments, system.user_roles, system.roles
    rows = {row.id: row for row in conn.execute(sa.select(u).where(u.c.id.in_(ids)))}
    others: dict[int, list[int]] = {i: [] for i in ids}
    for uid, dept in conn.execute(
        sa.select(ud.c.user_id, ud.c.department_id)
        .where(ud.c.user_id.in_(ids))
        .order_by(ud.c.user_id, ud.c.department_id)
    ):
        others[uid].append(dept)
    roles: dict[int, list[str]] = {i: [] for i in ids}
    for uid, key in conn.execute(
        sa.select(ur.c.user_id, r.c.key)
        .select_from(ur.join(r, r.c.id == ur.c.role_id))
        .where(ur.c.user_id.in_(ids))
        .order_by(ur.c.user_id, r.c.key)
    ):
        roles[uid].append(key)
    out = []
    for i in ids:
        row = rows.get(i)
        if row is None:
            raise NotFound("user.not_found", user=str(i))
        item = public(row, others[i])
        item["roles"] = roles[i]
        item["last_login_at"] = row.last_login_at.isoformat() + "Z" if row.last_login_at else None
        out.append(item)
    return out


def list_conditions(
    ids: Sequence[int] | None, search: str | None, active: bool
) -> list[sa.ColumnElement[bool]]:
    """Users by id, whose user name or display name contains ``search`` (case-insensitive,
    as plain text), only the active ones."""
    u = system.users
    conds: list[sa.ColumnElement[bool]] = []
    if ids is not None:
        conds.append(u.c.id.in_(list(ids)))
    if search:
        needle = search.lower()
        conds.append(
            sa.or_(
                sa.func.lower(u.c.username).contains(needle, autoescape=True),
                sa.func.lower(u.c.display_name).contains(needle, autoescape=True),
            )
        )
    if active:
        conds.append(u.c.status == "active")
    return conds


def listed(
    conn: sa.Connection, conds: list[sa.ColumnElement[bool]], limit: int | None, whole: bool
) -> list[Any]:
    """The users matching ``conds`` in id order: only their ids when ``whole`` (the caller
    reads them with ``admin_view``), else who is who (id, names, department), no contact
    details."""
    u = system.users
    shown = [u.c.id] if whole else [u.c.id, u.c.username, u.c.display_name, u.c.department_id]
    q = sa.select(*shown).where(*conds).order_by(u.c.id)
    if limit is not None:
        q = q.limit(limit)
    return list(conn.execute(q).all())
