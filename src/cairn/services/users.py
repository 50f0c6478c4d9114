"""Users: create, list and search, change, set passwords; who manages whom, and why a user
may or may not do something with a table (admins only, audited)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cairn.auth import (
    Entry,
    Principal,
    departments,
    manages_app,
    manages_table,
    passwords,
    require_admin,
    roles,
    sessions,
)
from cairn.auth import users as auth_users
from cairn.auth.explain import explain
from cairn.auth.readers import record_readers
from cairn.core import Conflict, Forbidden, Invalid, Message
from cairn.services.comments import readable_record
from cairn.services.uow import UnitOfWork, unit_of_work

if TYPE_CHECKING:
    from cairn.services.context import Services

USER_FIELDS = ("display_name", "email", "mobile", "language", "department_id", "is_admin")


class UserService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def create_user(self, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
        require_admin(principal)
        username = auth_users.check_username(body.get("username"))
        errors = auth_users.profile_errors(body)
        # No password: the user signs in with API tokens only (an integration account).
        password = body.get("password")
        if password is not None:
            try:
                passwords.check_policy(password, self.s.settings.password_min_length, username)
            except Invalid as e:
                errors.merge("", e)
        errors.raise_if_any()
        with unit_of_work(self.s, principal=principal) as uow:
            departments.check_ids(uow.conn, body)
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
                **auth_users.im_values(body),
            )
            if body.get("department_ids"):
                auth_users.set_other_departments(uow.conn, user_id, body["department_ids"])
            if body.get("roles"):
                _set_roles(uow, user_id, body["roles"])
            uow.audit(
                Entry(
                    "user.create",
                    "user",
                    user_id,
                    details={"username": username, "is_admin": bool(body.get("is_admin"))},
                )
            )
            return auth_users.admin_view(uow.conn, [user_id])[0]

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
            # Members see who is who (for assigning and mentioning), not contact details.
            conds = auth_users.list_conditions(ids, search, active or not principal.is_admin)
            if readable is not None:
                s = readable_record(uow, *readable)
                found = record_readers(
                    uow.conn, uow.catalog, s, self.s.clock, readable[2], conds, limit
                )
                conds = auth_users.list_conditions(found, None, False)
                limit = None
            rows = auth_users.listed(uow.conn, conds, limit, principal.is_admin)
            if principal.is_admin:
                items = auth_users.admin_view(uow.conn, [r.id for r in rows])
            else:
                items = [dict(r._mapping) for r in rows]
            return {"items": items, "next_cursor": None, "total": len(items)}

    def get_user(self, principal: Principal, ref: int | str) -> dict[str, Any]:
        require_admin(principal)
        with unit_of_work(self.s, write=False) as uow:
            return auth_users.admin_view(uow.conn, [auth_users.resolve(uow.conn, ref).id])[0]

    def update_user(self, principal: Principal, ref: int | str, body: dict[str, Any]) -> dict:
        require_admin(principal)
        errors = auth_users.profile_errors(body)
        if "status" in body and body["status"] not in auth_users.STATUSES:
            errors.add("status", Message("value.choice", {"value": body["status"]}))
        errors.raise_if_any()
        with unit_of_work(self.s, principal=principal) as uow:
            row = auth_users.resolve(uow.conn, ref)
            departments.check_ids(uow.conn, body)
            values = {k: body[k] for k in (*USER_FIELDS, "status") if k in body}
            values.update(auth_users.im_values(body))
            # The unionId kept for a DingTalk user id goes with it (kept when the id stays).
            unionid = (
                {"dingtalk_unionid": values.pop("dingtalk_unionid")}
                if (
                    "dingtalk_unionid" in values
                    and values["dingtalk_userid"] != row.dingtalk_userid
                )
                else {}
            )
            values.pop("dingtalk_unionid", None)
            auth_users.check_im_ids(uow.conn, row.id, values)
            before = {k: getattr(row, k) for k in values}
            auth_users.update(uow.conn, row.id, uow.now, **values, **unionid)
            self.s.tokens.clear()  # a disabled or demoted user's tokens lose their rights now
            demoted = values.get("status") == "disabled" or values.get("is_admin") is False
            if demoted and row.is_admin and auth_users.count_active_admins(uow.conn) == 0:
                raise Conflict("auth.last_admin")
            if values.get("status") == "disabled":
                sessions.end_all(uow.conn, row.id)
            if "department_ids" in body:
                departments.check_ids(uow.conn, {"department_ids": body["department_ids"]})
                auth_users.set_other_departments(uow.conn, row.id, body["department_ids"] or [])
            if "roles" in body:
                _set_roles(uow, row.id, body["roles"])
            changes = {k: [before[k], v] for k, v in values.items() if before[k] != v}
            if "roles" in body:
                changes["roles"] = [None, body["roles"]]
            action = "permission.change" if {"is_admin", "roles"} & set(changes) else "user.update"
            uow.audit(Entry(action, "user", row.id, details={"changes": changes}))
            return auth_users.admin_view(uow.conn, [row.id])[0]

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

    def manager_of(self, user: int | str) -> int | None:
        with unit_of_work(self.s, write=False) as uow:
            return departments.manager_of(uow.conn, auth_users.resolve(uow.conn, user).id)

    def can_manage(self, principal: Principal, app: str, table: str | None = None) -> bool:
        """May ``principal`` change the definition of ``app`` (or of its ``table``)?"""
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
        with unit_of_work(self.s, write=False) as uow:
            row = auth_users.resolve(uow.conn, user if user is not None else principal.user_id)
            if not principal.is_admin and row.id != principal.user_id:
                raise Forbidden("auth.admin_only")
            schema = uow.catalog.table(app, table)
            return explain(uow.conn, uow.catalog, self.s.clock, row, schema, record)


def _set_roles(uow: UnitOfWork, user_id: int, refs: Any) -> None:
    if not isinstance(refs, list):
        raise Invalid.on("roles", "value.choices")
    uow.schema_changed()  # cached permissions are per catalogue snapshot
    roles.set_of_user(uow.conn, user_id, refs)
