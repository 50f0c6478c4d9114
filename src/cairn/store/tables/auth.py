"""Who may do what: users, departments, sessions, API tokens, sign-in throttling, roles and
their grants, the hash-chained audit log."""

from __future__ import annotations

import sqlalchemy as sa

from cairn.store.tables.base import ID, id_column, metadata

users = sa.Table(
    "users",
    metadata,
    id_column(),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(254)),
    sa.Column("mobile", sa.String(32)),
    sa.Column("status", sa.String(16), nullable=False, server_default="active"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    # Identity (migration 0003): sign-in, language, organisation.
    sa.Column("password_hash", sa.String(255)),
    sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("language", sa.String(16)),
    sa.Column("department_id", ID),
    sa.Column("updated_at", sa.DateTime),
    sa.Column("last_login_at", sa.DateTime),
    # WeCom / DingTalk (migration m020): the user's id there; the DingTalk unionId the to-do
    # API wants, looked up once and kept.
    sa.Column("wecom_userid", sa.String(64)),
    sa.Column("dingtalk_userid", sa.String(64)),
    sa.Column("dingtalk_unionid", sa.String(64)),
    sa.Index("uq_users_username", "username", unique=True),
    sa.Index("uq_users_wecom_userid", "wecom_userid", unique=True),
    sa.Index("uq_users_dingtalk_userid", "dingtalk_userid", unique=True),
)

departments = sa.Table(
    "departments",
    metadata,
    id_column(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("parent_id", ID, index=True),
    sa.Column("manager_id", ID),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    # The department's id in WeCom / DingTalk (m020): directory sync matches on it.
    sa.Column("wecom_id", sa.String(64)),
    sa.Column("dingtalk_id", sa.String(64)),
    sa.Index("uq_departments_wecom_id", "wecom_id", unique=True),
    sa.Index("uq_departments_dingtalk_id", "dingtalk_id", unique=True),
)

#: A user's other departments (the primary one is users.department_id).
user_departments = sa.Table(
    "user_departments",
    metadata,
    sa.Column("user_id", ID, primary_key=True),
    sa.Column("department_id", ID, primary_key=True),
)

#: Server-side sessions of the web UI; ``id`` is the SHA-256 of the cookie value.
sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("user_id", ID, nullable=False, index=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
    sa.Column("last_seen_at", sa.DateTime, nullable=False),
    sa.Column("address", sa.String(64)),
    sa.Column("user_agent", sa.String(255)),
)

#: API tokens; only the SHA-256 of the secret is kept.
api_tokens = sa.Table(
    "api_tokens",
    metadata,
    id_column(),
    sa.Column("user_id", ID, nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False),
    sa.Column("read_only", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime),
    sa.Column("last_used_at", sa.DateTime),
    sa.Column("revoked_at", sa.DateTime),
    sa.Index("uq_api_tokens_token_hash", "token_hash", unique=True),
)

#: Failed sign-ins per user name and per address (shared by every API process).
login_throttle = sa.Table(
    "login_throttle",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("window_start", sa.DateTime, nullable=False),
    sa.Column("locked_until", sa.DateTime),
)

roles = sa.Table(
    "roles",
    metadata,
    id_column(),
    sa.Column("key", sa.String(63), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Index("uq_roles_key", "key", unique=True),
)

user_roles = sa.Table(
    "user_roles",
    metadata,
    sa.Column("user_id", ID, primary_key=True),
    sa.Column("role_id", ID, primary_key=True, index=True),
)

#: Apps whose schema a role's members manage (app managers).
role_apps = sa.Table(
    "role_apps",
    metadata,
    sa.Column("role_id", ID, primary_key=True),
    sa.Column("app_id", ID, primary_key=True),
)

#: What a role may do with one table; the row scope limits read, update and delete.
role_tables = sa.Table(
    "role_tables",
    metadata,
    sa.Column("role_id", ID, primary_key=True),
    sa.Column("table_id", ID, primary_key=True, index=True),
    sa.Column("can_create", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("can_read", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("can_update", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("can_delete", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("can_export", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("can_manage", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("row_scope", sa.String(32), nullable=False, server_default="all"),
    sa.Column("row_filter", sa.JSON),
)

#: A field a role sees hidden, read-only or masked (no row: full access).
role_fields = sa.Table(
    "role_fields",
    metadata,
    sa.Column("role_id", ID, primary_key=True),
    sa.Column("field_id", ID, primary_key=True),
    sa.Column("access", sa.String(16), nullable=False),
)

#: Append-only, hash-chained audit log.
audit_log = sa.Table(
    "audit_log",
    metadata,
    id_column(),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("actor_id", ID),
    sa.Column("actor_name", sa.String(64)),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("address", sa.String(64)),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target_type", sa.String(32)),
    sa.Column("target_id", sa.String(64)),
    sa.Column("app_id", ID),
    sa.Column("table_id", ID),
    sa.Column("details", sa.JSON, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index("ix_audit_log_at", "at"),
    sa.Index("ix_audit_log_actor_id", "actor_id"),
    sa.Index("ix_audit_log_target", "target_type", "target_id"),
)

#: The chain's head: one row, locked by each appender so entries chain in order.
audit_head = sa.Table(
    "audit_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("last_id", ID, nullable=False),
    sa.Column("last_hash", sa.String(64), nullable=False),
)
