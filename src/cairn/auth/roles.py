"""Roles: which apps they manage, what they may do with each table (actions, row scope, field
access) and who has them; read, written and checked here (the services audit the changes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.auth import users
from cairn.auth.operations import ACTIONS, FIELD_ACCESS, ROW_SCOPES
from cairn.auth.row_scope import check_row_filter
from cairn.core import Clock, Conflict, Invalid, NotFound, key_problem
from cairn.store import Catalog, changes, system


def by_ref(conn: sa.Connection, ref: Any) -> Any:
    """The role with id ``ref`` (an int) or key ``ref``; 404 when there is none."""
    r = system.roles
    cond = r.c.key == str(ref)
    if isinstance(ref, int) and not isinstance(ref, bool):
        cond = r.c.id == ref
    row = conn.execute(sa.select(r).where(cond)).first()
    if row is None:
        raise NotFound("role.not_found", role=str(ref))
    return row


def all_rows(conn: sa.Connection) -> list[Any]:
    return list(conn.execute(sa.select(system.roles).order_by(system.roles.c.key)).all())


def public(conn: sa.Connection, cat: Catalog, row: Any) -> dict[str, Any]:
    """A role as an administrator reads and writes it (app, table and field keys)."""
    rt, rf, ra, ur = system.role_tables, system.role_fields, system.role_apps, system.user_roles
    tables = []
    for t in conn.execute(sa.select(rt).where(rt.c.role_id == row.id).order_by(rt.c.table_id)):
        schema = cat.schemas.get(t.table_id)
        if schema is None:
            continue
        tables.append(
            {
                "app": schema.app.key,
                "table": schema.table.key,
                "actions": [a for a in ACTIONS if getattr(t, f"can_{a}")],
                "row_scope": t.row_scope,
                "row_filter": t.row_filter,
                "fields": {
                    cat.all_fields[fid].key: a
                    for fid, a in conn.execute(
                        sa.select(rf.c.field_id, rf.c.access).where(rf.c.role_id == row.id)
                    )
                    if fid in schema.by_id
                },
            }
        )
    apps = [
        a.key
        for a in cat.live_apps()
        if conn.execute(
            sa.select(ra.c.app_id).where(ra.c.role_id == row.id, ra.c.app_id == a.id)
        ).first()
    ]
    members = list(
        conn.execute(
            sa.select(ur.c.user_id).where(ur.c.role_id == row.id).order_by(ur.c.user_id)
        ).scalars()
    )
    return {
        "id": row.id,
        "key": row.key,
        "name": row.name,
        "description": row.description,
        "manages_apps": apps,
        "tables": tables,
        "members": members,
    }


def insert(conn: sa.Connection, now: datetime, body: dict[str, Any]) -> int:
    """A new role named by ``body`` (``key``, ``name``, ``description``); its grants apart."""
    key = body.get("key")
    problem = key_problem(key)
    if problem is not None:
        raise Invalid.on("key", problem, key=str(key))
    r = system.roles
    if conn.execute(sa.select(r.c.id).where(r.c.key == key)).first():
        raise Conflict("key.taken", key=key)
    role_id = conn.execute(
        r.insert()
        .values(
            key=key,
            name=body.get("name") or key,
            description=body.get("description") or "",
            created_at=now,
            updated_at=now,
        )
        .returning(r.c.id)
    ).scalar_one()
    changes.created(conn, r, role_id)
    return role_id


def update(conn: sa.Connection, role_id: int, now: datetime, **values: Any) -> None:
    if values:
        conn.execute(
            system.roles.update()
            .where(system.roles.c.id == role_id)
            .values(updated_at=now, **values)
        )


def delete(conn: sa.Connection, role_id: int) -> None:
    """The role, its grants and its memberships."""
    for t in (system.user_roles, system.role_tables, system.role_fields, system.role_apps):
        conn.execute(t.delete().where(t.c.role_id == role_id))
    conn.execute(system.roles.delete().where(system.roles.c.id == role_id))


def set_of_user(conn: sa.Connection, user_id: int, refs: Any) -> None:
    """Replace the roles of a user (role keys or ids)."""
    if not isinstance(refs, list):
        raise Invalid.on("roles", "value.choices")
    ids = [by_ref(conn, k).id for k in refs]
    ur = system.user_roles
    changes.touching(conn, system.users, user_id)  # its roles: in the user's entry
    conn.execute(ur.delete().where(ur.c.user_id == user_id))
    if ids:
        conn.execute(ur.insert(), [{"user_id": user_id, "role_id": i} for i in sorted(set(ids))])


def apply(conn: sa.Connection, cat: Catalog, clock: Clock, role_id: int, body: dict) -> None:
    """``manages_apps`` (app keys), ``tables`` (per table: actions, row scope, fields) and
    ``members`` (user ids or names) replace what the role had, when present."""
    if "manages_apps" in body:
        ra = system.role_apps
        conn.execute(ra.delete().where(ra.c.role_id == role_id))
        for k in body["manages_apps"] or []:
            conn.execute(ra.insert().values(role_id=role_id, app_id=cat.app(k).id))
    if "tables" in body:
        rt, rf = system.role_tables, system.role_fields
        conn.execute(rt.delete().where(rt.c.role_id == role_id))
        conn.execute(rf.delete().where(rf.c.role_id == role_id))
        specs = body["tables"] or []
        if not isinstance(specs, list):
            raise Invalid.on("tables", "value.choices")
        for i, spec in enumerate(specs):
            _apply_table(conn, cat, clock, role_id, spec, f"tables.{i}")
    if "members" in body:
        ur = system.user_roles
        conn.execute(ur.delete().where(ur.c.role_id == role_id))  # in the role's entry
        ids = {users.resolve(conn, m).id for m in body["members"] or []}
        if ids:
            conn.execute(ur.insert(), [{"user_id": u, "role_id": role_id} for u in ids])


def _apply_table(
    conn: sa.Connection, cat: Catalog, clock: Clock, role_id: int, spec: Any, loc: str
) -> None:
    if not isinstance(spec, dict):
        raise Invalid.on(loc, "filter.shape")
    schema = cat.table(spec.get("app", ""), spec.get("table", ""))
    if schema.parent is not None and schema.parent_field is not None:
        # A sub-form's rows take their parent table's permissions (``RowsAccess``).
        raise Invalid.on(
            f"{loc}.table",
            "subform.role_table",
            table=schema.parent.table.name,
            field=schema.parent_field.name,
        )
    actions = spec.get("actions") or []
    bad = [a for a in actions if a not in ACTIONS]
    if bad or not isinstance(actions, list):
        raise Invalid.on(f"{loc}.actions", "value.choice", value=str(bad[:1] or actions))
    scope = spec.get("row_scope", "all")
    if scope not in ROW_SCOPES:
        raise Invalid.on(f"{loc}.row_scope", "role.scope", allowed=", ".join(ROW_SCOPES))
    row_filter = spec.get("row_filter")
    if scope == "filter":
        check_row_filter(cat, schema, row_filter, clock)
    conn.execute(
        system.role_tables.insert().values(
            role_id=role_id,
            table_id=schema.id,
            row_scope=scope,
            row_filter=row_filter if scope == "filter" else None,
            **{f"can_{a}": a in actions for a in ACTIONS},
        )
    )
    fields = spec.get("fields") or {}
    if not isinstance(fields, dict):
        raise Invalid.on(f"{loc}.fields", "role.access")
    for key, a in fields.items():
        f = schema.by_key.get(key)
        if f is None:
            raise Invalid.on(f"{loc}.fields.{key}", "field.unknown", key=key)
        if a not in FIELD_ACCESS:
            raise Invalid.on(f"{loc}.fields.{key}", "role.access")
        conn.execute(system.role_fields.insert().values(role_id=role_id, field_id=f.id, access=a))
