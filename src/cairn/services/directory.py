"""Users, departments and roles: the administration use cases (admins only, audited)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from cairn.auth import Entry, Principal, departments, passwords, sessions
from cairn.auth import users as auth_users
from cairn.auth.access import check_row_filter, record_readers
from cairn.auth.operations import ACTIONS, FIELD_ACCESS, ROW_SCOPES
from cairn.core import (
    Conflict,
    FieldErrors,
    Forbidden,
    Invalid,
    Message,
    NotFound,
    is_id,
    key_problem,
)
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import changes, system

if TYPE_CHECKING:
    from cairn.services.context import Services

USER_FIELDS = ("display_name", "email", "mobile", "language", "department_id", "is_admin")


def require_admin(principal: Principal) -> None:
    if not principal.is_admin or principal.read_only:
        raise Forbidden("auth.admin_only")


def _text(errors: FieldErrors, body: dict[str, Any], key: str, max_len: int) -> None:
    v = body.get(key)
    if v is None:
        return
    if not isinstance(v, str):
        errors.add(key, Message("value.text"))
    elif len(v) > max_len:
        errors.add(key, Message("value.too_long", {"max": max_len}))


class DirectoryService:
    def __init__(self, services: Services) -> None:
        self.s = services

    # -- users -----------------------------------------------------------------------------
    def create_user(self, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
        require_admin(principal)
        username = auth_users.check_username(body.get("username"))
        errors = FieldErrors()
        for key, n in (("display_name", 200), ("email", 254), ("mobile", 32), ("language", 16)):
            _text(errors, body, key, n)
        # No password: the user signs in with API tokens only (an integration account).
        password = body.get("password")
        if password is not None:
            try:
                passwords.check_policy(password, self.s.settings.password_min_length, username)
            except Invalid as e:
                errors.merge("", e)
        errors.raise_if_any()
        with unit_of_work(self.s, principal=principal) as uow:
            self._check_departments(uow, body)
            user_id = auth_users.insert(
                uow.conn,
                uow.now,
                username=username,
                display_name=body.get("display_name") or username,
                email=body.get("email"),
                mobile=body.get("mobile"),
                language=body.get("language"),
                department_id=body.get("department_id"),
                is_admin=bool(body.get("is_admin", False)),
                status="active",
                password_hash=passwords.hash_password(password) if password else None,
            )
            if body.get("department_ids"):
                auth_users.set_other_departments(uow.conn, user_id, body["department_ids"])
            if body.get("roles"):
                self._set_roles(uow, user_id, body["roles"])
            uow.audit(
                Entry(
                    "user.create",
                    "user",
                    user_id,
                    details={"username": username, "is_admin": bool(body.get("is_admin"))},
                )
            )
            return self._user(uow, user_id)

    def _user(self, uow: UnitOfWork, user_id: int) -> dict[str, Any]:
        return self._users(uow, [user_id])[0]

    def _users(self, uow: UnitOfWork, ids: list[int]) -> list[dict[str, Any]]:
        """Users as an administrator sees them, in the order of ``ids``: three queries for any
        number of them (a directory of hundreds lists as fast as one)."""
        if not ids:
            return []
        u, ud, ur, r = system.users, system.user_departments, system.user_roles, system.roles
        rows = {row.id: row for row in uow.conn.execute(sa.select(u).where(u.c.id.in_(ids)))}
        others: dict[int, list[int]] = {i: [] for i in ids}
        for uid, dept in uow.conn.execute(
            sa.select(ud.c.user_id, ud.c.department_id)
            .where(ud.c.user_id.in_(ids))
            .order_by(ud.c.user_id, ud.c.department_id)
        ):
            others[uid].append(dept)
        roles: dict[int, list[str]] = {i: [] for i in ids}
        for uid, key in uow.conn.execute(
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
            item = auth_users.public(row, others[i])
            item["roles"] = roles[i]
            item["last_login_at"] = (
                row.last_login_at.isoformat() + "Z" if row.last_login_at else None
            )
            out.append(item)
        return out

    def _check_departments(self, uow: UnitOfWork, body: dict[str, Any]) -> None:
        ids = list(body.get("department_ids") or [])
        if body.get("department_id") is not None:
            ids.append(body["department_id"])
        for i in ids:
            if not isinstance(i, int) or isinstance(i, bool):
                raise Invalid.on("department_id", "value.integer")
            if not is_id(i):
                raise NotFound("department.not_found", id=i)
            departments.get(uow.conn, i)

    def _set_roles(self, uow: UnitOfWork, user_id: int, roles: Any) -> None:
        if not isinstance(roles, list):
            raise Invalid.on("roles", "value.choices")
        uow.schema_changed()  # cached permissions are per catalogue snapshot
        ids = [self._role(uow, k).id for k in roles]
        ur = system.user_roles
        changes.touching(uow.conn, system.users, user_id)  # its roles: in the user's entry
        uow.conn.execute(ur.delete().where(ur.c.user_id == user_id))
        if ids:
            uow.conn.execute(
                ur.insert(), [{"user_id": user_id, "role_id": i} for i in sorted(set(ids))]
            )

    def list_users(
        self,
        principal: Principal,
        search: str | None = None,
        limit: int | None = None,
        active: bool = False,
        ids: Sequence[int] | None = None,
        readable: tuple[str, str, int] | None = None,
    ) -> dict[str, Any]:
        """Users by id; ``search`` matches the user name or display name (case-insensitive, as
        plain text), ``active`` leaves disabled users out, ``limit`` returns the first few
        (what a mention or user picker asks for while someone types), ``ids`` just these (the
        names a page shows: who changed a record, who is assigned). ``readable`` (app, table,
        record id): only the active users who may read that record, which the principal must
        read too (else 404, as for the record itself): whom its comments can mention."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            u = system.users
            # Members see who is who (for assigning and mentioning), not contact details.
            shown = (
                [u.c.id]
                if principal.is_admin
                else [u.c.id, u.c.username, u.c.display_name, u.c.department_id]
            )
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
            if active or not principal.is_admin:
                conds.append(u.c.status == "active")
            if readable is not None:
                from cairn.services.comments import readable_record

                s = readable_record(uow, *readable)
                found = record_readers(
                    uow.conn, uow.catalog, s, self.s.clock, readable[2], conds, limit
                )
                conds = [u.c.id.in_(found)]
                limit = None
            q = sa.select(*shown).where(*conds).order_by(u.c.id)
            if limit is not None:
                q = q.limit(limit)
            rows = uow.conn.execute(q).all()
            if principal.is_admin:
                items = self._users(uow, [r.id for r in rows])
            else:
                items = [dict(r._mapping) for r in rows]
            return {"items": items, "next_cursor": None, "total": len(items)}

    def get_user(self, principal: Principal, ref: int | str) -> dict[str, Any]:
        require_admin(principal)
        with unit_of_work(self.s, write=False) as uow:
            return self._user(uow, auth_users.resolve(uow.conn, ref).id)

    def update_user(self, principal: Principal, ref: int | str, body: dict[str, Any]) -> dict:
        require_admin(principal)
        errors = FieldErrors()
        for key, n in (("display_name", 200), ("email", 254), ("mobile", 32), ("language", 16)):
            _text(errors, body, key, n)
        if "status" in body and body["status"] not in auth_users.STATUSES:
            errors.add("status", Message("value.choice", {"value": body["status"]}))
        errors.raise_if_any()
        with unit_of_work(self.s, principal=principal) as uow:
            row = auth_users.resolve(uow.conn, ref)
            self._check_departments(uow, body)
            values = {k: body[k] for k in (*USER_FIELDS, "status") if k in body}
            before = {k: getattr(row, k) for k in values}
            auth_users.update(uow.conn, row.id, uow.now, **values)
            self.s.tokens.clear()  # a disabled or demoted user's tokens lose their rights now
            demoted = values.get("status") == "disabled" or values.get("is_admin") is False
            if demoted and row.is_admin and auth_users.count_active_admins(uow.conn) == 0:
                raise Conflict("auth.last_admin")
            if values.get("status") == "disabled":
                sessions.end_all(uow.conn, row.id)
            if "department_ids" in body:
                self._check_departments(uow, {"department_ids": body["department_ids"]})
                auth_users.set_other_departments(uow.conn, row.id, body["department_ids"] or [])
            if "roles" in body:
                self._set_roles(uow, row.id, body["roles"])
            changes = {k: [before[k], v] for k, v in values.items() if before[k] != v}
            if "roles" in body:
                changes["roles"] = [None, body["roles"]]
            action = "permission.change" if {"is_admin", "roles"} & set(changes) else "user.update"
            uow.audit(Entry(action, "user", row.id, details={"changes": changes}))
            return self._user(uow, row.id)

    def set_password(
        self, principal: Principal, ref: int | str, password: str | None = None
    ) -> str:
        """Set (or generate, when None) a user's password; ends their sessions."""
        with unit_of_work(self.s, principal=principal) as uow:
            row = auth_users.resolve(uow.conn, ref)
            if not principal.is_admin and principal.user_id != row.id:
                raise Forbidden("auth.admin_only")
            pw = password or passwords.generate(username=row.username)
            passwords.check_policy(pw, self.s.settings.password_min_length, row.username)
            auth_users.update(uow.conn, row.id, uow.now, password_hash=passwords.hash_password(pw))
            sessions.end_all(uow.conn, row.id)
            self.s.tokens.clear()
            uow.audit(Entry("user.password_reset", "user", row.id))
            return pw

    def any_user(self) -> bool:
        with unit_of_work(self.s, write=False) as uow:
            return auth_users.any_user(uow.conn)

    # -- departments -----------------------------------------------------------------------
    def list_departments(self) -> dict[str, Any]:
        with unit_of_work(self.s, write=False) as uow:
            items = [departments.public(r) for r in departments.all_rows(uow.conn)]
            return {"items": items, "next_cursor": None, "total": len(items)}

    def _department_values(self, uow: UnitOfWork, body: dict[str, Any], dept_id: int | None):
        errors = FieldErrors()
        _text(errors, body, "name", 200)
        if dept_id is None and not body.get("name"):
            errors.add("name", Message("field.required"))
        errors.raise_if_any()
        values = {k: body[k] for k in ("name", "parent_id", "manager_id", "position") if k in body}
        for k in ("parent_id", "manager_id", "position"):
            v = values.get(k)
            if v is not None and (not isinstance(v, int) or isinstance(v, bool)):
                raise Invalid.on(k, "value.integer")
        if "parent_id" in values:
            departments.check_parent(uow.conn, dept_id, values["parent_id"])
        if values.get("manager_id") is not None:
            auth_users.resolve(uow.conn, values["manager_id"])
        return values

    def create_department(self, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
        require_admin(principal)
        with unit_of_work(self.s, principal=principal) as uow:
            values = self._department_values(uow, body, None)
            dept_id = departments.insert(uow.conn, uow.now, **values)
            uow.audit(Entry("department.create", "department", dept_id, details=values))
            return departments.public(departments.get(uow.conn, dept_id))

    def update_department(self, principal: Principal, dept_id: int, body: dict) -> dict:
        require_admin(principal)
        with unit_of_work(self.s, principal=principal) as uow:
            before = departments.get(uow.conn, dept_id)
            values = self._department_values(uow, body, dept_id)
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

    def manager_of(self, user: int | str) -> int | None:
        with unit_of_work(self.s, write=False) as uow:
            return departments.manager_of(uow.conn, auth_users.resolve(uow.conn, user).id)

    def can_manage(self, principal: Principal, app: str, table: str | None = None) -> bool:
        """May ``principal`` change the definition of ``app`` (or of its ``table``)?"""
        from cairn.auth import manages_app, manages_table

        with unit_of_work(self.s, write=False) as uow:
            if table is not None:
                return manages_table(uow.conn, principal, uow.catalog.table(app, table))
            return manages_app(uow.conn, principal, uow.catalog.app(app).id)

    def explain(
        self,
        principal: Principal,
        user: int | str | None,
        app: str,
        table: str,
        record: int | None = None,
    ) -> dict[str, Any]:
        """Which roles, row scopes and field rules decide what ``user`` may do with ``table``
        (and with ``record``). Administrators ask about anyone; members about themselves."""
        from cairn.auth import for_table
        from cairn.auth.operations import SCOPED
        from cairn.store import records as store_records

        with unit_of_work(self.s, write=False) as uow:
            row = auth_users.resolve(uow.conn, user if user is not None else principal.user_id)
            if not principal.is_admin and row.id != principal.user_id:
                raise Forbidden("auth.admin_only")
            subject = Principal(row.id, row.username, bool(row.is_admin), "session")
            schema = uow.catalog.table(app, table)
            access = for_table(uow.conn, subject, schema)
            exists = record is not None and store_records.exists(uow.conn, schema, record)
            actions: dict[str, Any] = {}
            for a in ACTIONS:
                entry: dict[str, Any] = {
                    "allowed": access.can(a) and row.status == "active",
                    "roles": [g.role_key for g in access.grants if a in g.actions],
                }
                if access.unrestricted:
                    entry["reason"] = "administrator"
                if a in SCOPED and entry["allowed"]:
                    entry["row_scopes"] = (
                        [{"scope": "all", "role": None}]
                        if access.unrestricted
                        else [
                            {"scope": g.scope, "role": g.role_key, "filter": g.row_filter}
                            for g in access.grants
                            if a in g.actions
                        ]
                    )
                    if record is not None:
                        where = access.row_where(uow.conn, uow.catalog, schema, self.s.clock, a)
                        t = schema.sa_table
                        q = sa.select(t.c.id).where(t.c.id == record)
                        if where is not None:
                            q = q.where(where)
                        entry["record_in_scope"] = bool(
                            exists and uow.conn.execute(q).first() is not None
                        )
                actions[a] = entry
            fields = [
                {
                    "field": f.key,
                    "access": access.fields.get(f.id, "full"),
                    "roles": access.field_roles.get(f.id, []),
                }
                for f in schema.fields
            ]
            return {
                "user": {"id": row.id, "username": row.username, "status": row.status},
                "is_admin": bool(row.is_admin),
                "app": app,
                "table": table,
                "record": record,
                "record_exists": exists if record is not None else None,
                "actions": actions,
                "fields": fields,
            }

    # -- roles -----------------------------------------------------------------------------
    def _role(self, uow: UnitOfWork, ref: Any) -> Any:
        r = system.roles
        cond = r.c.key == str(ref)
        if isinstance(ref, int) and not isinstance(ref, bool):
            cond = r.c.id == ref
        row = uow.conn.execute(sa.select(r).where(cond)).first()
        if row is None:
            raise NotFound("role.not_found", role=str(ref))
        return row

    def _role_public(self, uow: UnitOfWork, row: Any) -> dict[str, Any]:
        cat = uow.catalog
        rt, rf, ra, ur = system.role_tables, system.role_fields, system.role_apps, system.user_roles
        tables = []
        for t in uow.conn.execute(
            sa.select(rt).where(rt.c.role_id == row.id).order_by(rt.c.table_id)
        ):
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
                        for fid, a in uow.conn.execute(
                            sa.select(rf.c.field_id, rf.c.access).where(rf.c.role_id == row.id)
                        )
                        if fid in schema.by_id
                    },
                }
            )
        apps = [
            a.key
            for a in cat.live_apps()
            if uow.conn.execute(
                sa.select(ra.c.app_id).where(ra.c.role_id == row.id, ra.c.app_id == a.id)
            ).first()
        ]
        members = list(
            uow.conn.execute(
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

    def list_roles(self, principal: Principal) -> dict[str, Any]:
        require_admin(principal)
        with unit_of_work(self.s, write=False) as uow:
            rows = uow.conn.execute(sa.select(system.roles).order_by(system.roles.c.key)).all()
            items = [self._role_public(uow, r) for r in rows]
            return {"items": items, "next_cursor": None, "total": len(items)}

    def get_role(self, principal: Principal, ref: str) -> dict[str, Any]:
        require_admin(principal)
        with unit_of_work(self.s, write=False) as uow:
            return self._role_public(uow, self._role(uow, ref))

    def create_role(self, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
        require_admin(principal)
        key = body.get("key")
        problem = key_problem(key)
        if problem is not None:
            raise Invalid.on("key", problem, key=str(key))
        with unit_of_work(self.s, principal=principal) as uow:
            r = system.roles
            if uow.conn.execute(sa.select(r.c.id).where(r.c.key == key)).first():
                raise Conflict("key.taken", key=key)
            role_id = uow.conn.execute(
                r.insert()
                .values(
                    key=key,
                    name=body.get("name") or key,
                    description=body.get("description") or "",
                    created_at=uow.now,
                    updated_at=uow.now,
                )
                .returning(r.c.id)
            ).scalar_one()
            changes.created(uow.conn, r, role_id)
            self._apply_role(uow, role_id, body)
            uow.audit(Entry("permission.role_create", "role", role_id, details=_clean(body)))
            return self._role_public(uow, self._role(uow, role_id))

    def update_role(self, principal: Principal, ref: str, body: dict[str, Any]) -> dict:
        require_admin(principal)
        with unit_of_work(self.s, principal=principal) as uow:
            row = self._role(uow, ref)
            changes.touching(uow.conn, system.roles, row.id)
            before = self._role_public(uow, row)
            values = {k: body[k] for k in ("name", "description") if k in body}
            if values:
                uow.conn.execute(
                    system.roles.update()
                    .where(system.roles.c.id == row.id)
                    .values(updated_at=uow.now, **values)
                )
            self._apply_role(uow, row.id, body)
            after = self._role_public(uow, row)
            uow.audit(
                Entry(
                    "permission.role_update",
                    "role",
                    row.id,
                    details={"before": before, "after": after},
                )
            )
            return after

    def delete_role(self, principal: Principal, ref: str) -> None:
        require_admin(principal)
        with unit_of_work(self.s, principal=principal) as uow:
            row = self._role(uow, ref)
            changes.touching(uow.conn, system.roles, row.id)
            for t in (system.user_roles, system.role_tables, system.role_fields, system.role_apps):
                uow.conn.execute(t.delete().where(t.c.role_id == row.id))
            uow.schema_changed()
            uow.conn.execute(system.roles.delete().where(system.roles.c.id == row.id))
            uow.audit(Entry("permission.role_delete", "role", row.id, details={"key": row.key}))

    def _apply_role(self, uow: UnitOfWork, role_id: int, body: dict[str, Any]) -> None:
        """``manages_apps`` (app keys), ``tables`` (per table: actions, row scope, fields) and
        ``members`` (user ids or names) replace what the role had, when present."""
        cat = uow.catalog
        conn = uow.conn
        uow.schema_changed()  # cached permissions are per catalogue snapshot
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
                self._apply_table(uow, role_id, spec, f"tables.{i}")
        if "members" in body:
            ur = system.user_roles
            conn.execute(ur.delete().where(ur.c.role_id == role_id))  # in the role's entry
            ids = {auth_users.resolve(conn, m).id for m in body["members"] or []}
            if ids:
                conn.execute(ur.insert(), [{"user_id": u, "role_id": role_id} for u in ids])

    def _apply_table(self, uow: UnitOfWork, role_id: int, spec: Any, loc: str) -> None:
        if not isinstance(spec, dict):
            raise Invalid.on(loc, "filter.shape")
        schema = uow.catalog.table(spec.get("app", ""), spec.get("table", ""))
        actions = spec.get("actions") or []
        bad = [a for a in actions if a not in ACTIONS]
        if bad or not isinstance(actions, list):
            raise Invalid.on(f"{loc}.actions", "value.choice", value=str(bad[:1] or actions))
        scope = spec.get("row_scope", "all")
        if scope not in ROW_SCOPES:
            raise Invalid.on(f"{loc}.row_scope", "role.scope", allowed=", ".join(ROW_SCOPES))
        row_filter = spec.get("row_filter")
        if scope == "filter":
            check_row_filter(uow.catalog, schema, row_filter, self.s.clock)
        uow.conn.execute(
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
            uow.conn.execute(
                system.role_fields.insert().values(role_id=role_id, field_id=f.id, access=a)
            )


def _clean(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "password"}
