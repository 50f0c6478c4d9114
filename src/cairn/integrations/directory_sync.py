"""Merging a work platform's directory (``channels.work.Directory``) into Cairn's departments
and users, in the caller's transaction, with a report of what it did.

- Departments are matched by their platform id (``departments.wecom_id`` / ``dingtalk_id``):
  a new one is created, a known one gets the platform's name, parent and order.
- People are matched by their platform user id; failing that, an active Cairn user without
  one whose mobile number (or e-mail address) is the person's is *linked* (given the id);
  failing that, a user is created (no password: an administrator sets one, or the person
  signs in another way). A known user gets the platform's name and departments; a mobile or
  e-mail address is filled in only where Cairn has none (Cairn's own is never overwritten).
- Nothing is deleted or disabled: departments and people Cairn knows by a platform id that
  the platform no longer lists, and people the platform lists as inactive, are named in the
  report (``missing``) for an administrator to decide.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.auth import users as auth_users
from cairn.integrations.channels.work import Directory, DirUser, WorkPlatform
from cairn.store import changes, system

#: Characters a user name may not have (``auth.users.USERNAME``), replaced by "_".
NOT_IN_NAME = re.compile(r"[^A-Za-z0-9._@-]")
PREFIX = {"wecom_userid": "wx.", "dingtalk_userid": "dt."}


def new_report() -> dict[str, Any]:
    return {
        "departments": {"created": 0, "updated": 0},
        "users": {"created": 0, "updated": 0, "linked": 0},
        "missing": [],
        "errors": [],
    }


def digits(phone: str | None) -> str:
    """A mobile number as comparable digits (no +86, no separators)."""
    n = re.sub(r"\D", "", phone or "")
    return n[2:] if n.startswith("86") and len(n) == 13 else n


def merge(
    conn: sa.Connection, now: datetime, ch: WorkPlatform, directory: Directory
) -> dict[str, Any]:
    report = new_report()
    dept_ids = _departments(conn, now, ch, directory, report)
    _users(conn, now, ch, directory, dept_ids, report)
    return report


def _departments(
    conn: sa.Connection, now: datetime, ch: WorkPlatform, directory: Directory, report: dict
) -> dict[str, int]:
    """Departments created or updated; platform id → Cairn id."""
    d = system.departments
    col = d.c[ch.department_column]
    known = {
        r[ch.department_column]: r
        for r in conn.execute(sa.select(d).where(col.is_not(None))).mappings()
    }
    ids: dict[str, int] = {}
    for dep in directory.departments:
        row = known.get(dep.id)
        if row is None:
            new_id = conn.execute(
                d.insert()
                .values(
                    name=dep.name[:200],
                    position=dep.order,
                    created_at=now,
                    updated_at=now,
                    **{ch.department_column: dep.id},
                )
                .returning(d.c.id)
            ).scalar_one()
            changes.created(conn, d, new_id)
            ids[dep.id] = new_id
            report["departments"]["created"] += 1
        else:
            ids[dep.id] = row["id"]
    # Parents once every department exists (a child may come before its parent).
    for dep in directory.departments:
        row = known.get(dep.id)
        parent = ids.get(dep.parent_id) if dep.parent_id else None
        values = {"name": dep.name[:200], "parent_id": parent, "position": dep.order}
        if row is not None and any(row[k] != v for k, v in values.items()):
            changes.touching(conn, d, row["id"])
            conn.execute(d.update().where(d.c.id == row["id"]).values(updated_at=now, **values))
            report["departments"]["updated"] += 1
        elif row is None and parent is not None:
            conn.execute(d.update().where(d.c.id == ids[dep.id]).values(parent_id=parent))
    listed = {dep.id for dep in directory.departments}
    for pid, row in known.items():
        if pid not in listed:
            report["missing"].append(
                {"type": "department", "id": row["id"], "name": row["name"], "remote_id": pid}
            )
    return ids


def _users(
    conn: sa.Connection,
    now: datetime,
    ch: WorkPlatform,
    directory: Directory,
    dept_ids: dict[str, int],
    report: dict,
) -> None:
    u = system.users
    col = ch.user_column
    rows = list(conn.execute(sa.select(u)).mappings())
    by_id = {r[col]: r for r in rows if r[col]}
    unlinked = [r for r in rows if not r[col] and r["status"] == "active"]
    by_mobile = {digits(r["mobile"]): r for r in unlinked if r["mobile"]}
    by_email = {r["email"].lower(): r for r in unlinked if r["email"]}
    for person in directory.users:
        try:
            with conn.begin_nested():
                _user(conn, now, ch, person, dept_ids, report, by_id, by_mobile, by_email)
        except Exception as e:  # one person's problem does not stop the others
            report["errors"].append({"userid": person.userid, "message": str(e)[:300]})
        if not person.active:
            row = by_id.get(person.userid)
            report["missing"].append(
                {
                    "type": "user",
                    "id": row["id"] if row else None,
                    "name": person.name,
                    "remote_id": person.userid,
                    "reason": "inactive",
                }
            )
    listed = {p.userid for p in directory.users}
    for rid, row in by_id.items():
        if rid not in listed:
            report["missing"].append(
                {
                    "type": "user",
                    "id": row["id"],
                    "name": row["display_name"],
                    "remote_id": rid,
                    "reason": "gone",
                }
            )


def _user(
    conn: sa.Connection,
    now: datetime,
    ch: WorkPlatform,
    p: DirUser,
    dept_ids: dict[str, int],
    report: dict,
    by_id: dict[str, Any],
    by_mobile: dict[str, Any],
    by_email: dict[str, Any],
) -> None:
    col = ch.user_column
    depts = [dept_ids[x] for x in p.departments if x in dept_ids]
    extra = {"dingtalk_unionid": p.unionid} if p.unionid and col == "dingtalk_userid" else {}
    row = by_id.get(p.userid)
    if row is None:
        row = by_mobile.pop(digits(p.mobile), None) if p.mobile else None
        if row is None and p.email:
            row = by_email.pop(p.email.lower(), None)
        if row is not None:
            auth_users.update(conn, row["id"], now, **{col: p.userid}, **extra)
            report["users"]["linked"] += 1
            _follow(conn, now, row, p, depts)
            return
        if not p.active:
            return  # a person who left is not created
        user_id = auth_users.insert(
            conn,
            now,
            username=_username(conn, col, p.userid),
            display_name=p.name[:200],
            email=p.email,
            mobile=p.mobile,
            department_id=depts[0] if depts else None,
            is_admin=False,
            status="active",
            **{col: p.userid},
            **extra,
        )
        if depts[1:]:
            auth_users.set_other_departments(conn, user_id, depts[1:])
        report["users"]["created"] += 1
        return
    if extra and row["dingtalk_unionid"] != p.unionid:
        auth_users.update(conn, row["id"], now, **extra)
    if _follow(conn, now, row, p, depts):
        report["users"]["updated"] += 1


def _follow(conn: sa.Connection, now: datetime, row: Any, p: DirUser, depts: list[int]) -> bool:
    """The user's name and departments as the platform has them (mobile and e-mail only
    where Cairn has none); whether anything changed."""
    values: dict[str, Any] = {}
    if p.name and row["display_name"] != p.name[:200]:
        values["display_name"] = p.name[:200]
    if p.mobile and not row["mobile"]:
        values["mobile"] = p.mobile
    if p.email and not row["email"]:
        values["email"] = p.email
    if depts and row["department_id"] != depts[0]:
        values["department_id"] = depts[0]
    others_changed = False
    if depts:
        others = auth_users.other_departments(conn, row["id"])
        wanted = sorted(set(depts[1:]) - {depts[0]})
        if sorted(others) != wanted:
            auth_users.set_other_departments(conn, row["id"], wanted)
            others_changed = True
    if values:
        auth_users.update(conn, row["id"], now, **values)
    return bool(values) or others_changed


def _username(conn: sa.Connection, col: str, userid: str) -> str:
    """A free user name for a new person: the platform's prefix and their user id."""
    base = (PREFIX[col] + NOT_IN_NAME.sub("_", userid))[:60]
    name, n = base, 1
    while auth_users.by_username(conn, name) is not None:
        n += 1
        name = f"{base}.{n}"
    return name
