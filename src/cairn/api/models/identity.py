"""Replies about users, sign-in, tokens, departments, roles and permissions."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from cairn.api.models.base import Open, Reply


class GlobalPermissions(Reply):
    """What the signed-in user may do beyond apps and tables."""

    admin: bool
    create_apps: bool


class UserBrief(Reply):
    """Who is who, as a member sees other users (no contact details)."""

    id: int
    username: str
    display_name: str
    department_id: int | None


class UserProfile(UserBrief):
    """A user as they see themselves (``/auth/me``)."""

    email: str | None
    mobile: str | None
    status: str
    is_admin: bool
    language: str | None
    department_ids: list[int] = Field(default_factory=list)
    #: The user's id in WeCom / DingTalk (work notices, to-dos, directory sync).
    wecom_userid: str | None = None
    dingtalk_userid: str | None = None


class UserFull(UserProfile):
    """A user as an administrator sees them."""

    roles: list[str] = Field(default_factory=list)
    last_login_at: str | None = None


class UserList(Reply):
    """Users: administrators get each in full, members who is who."""

    items: list[UserFull | UserBrief]
    next_cursor: str | None
    total: int | None


class GeneratedPassword(Reply):
    """The generated password (shown once); empty when the caller sent one."""

    password: str | None = None


class UserManager(Reply):
    manager_id: int | None


class SignedIn(Reply):
    user: UserProfile
    csrf_token: str | None


class Me(SignedIn):
    permissions: GlobalPermissions


class ApiToken(Reply):
    id: int
    user_id: int
    name: str
    prefix: str
    read_only: bool
    created_at: str
    expires_at: str | None
    last_used_at: str | None
    revoked_at: str | None


class NewApiToken(ApiToken):
    """A new API token: ``token`` holds it, the only time it is shown."""

    token: str


class ApiTokenList(Reply):
    items: list[ApiToken]
    next_cursor: str | None
    total: int | None


class Department(Reply):
    id: int
    name: str
    parent_id: int | None
    manager_id: int | None
    position: int


class DepartmentList(Reply):
    items: list[Department]
    next_cursor: str | None
    total: int | None


class RoleTable(Reply):
    app: str
    table: str
    actions: list[str]
    row_scope: str
    row_filter: Any
    #: Field key → ``hidden``, ``masked`` or ``read_only``.
    fields: dict[str, str]


class Role(Reply):
    id: int
    key: str
    name: str
    description: str
    manages_apps: list[str]
    tables: list[RoleTable]
    members: list[int]


class RoleList(Reply):
    items: list[Role]
    next_cursor: str | None
    total: int | None


class PermissionExplanation(Open):
    """Why a user may or may not do something with a table (and a record): the actions and
    each field's access, with the roles that grant them."""
