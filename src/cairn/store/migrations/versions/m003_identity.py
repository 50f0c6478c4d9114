"""Identity: sign-in columns on users, departments, sessions, API tokens, sign-in throttling,
roles with table and field permissions, and the hash-chained audit log.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0101_app_settings"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
GENESIS = "0" * 64


def _id() -> sa.Column:
    return sa.Column("id", ID, primary_key=True, autoincrement=True)


def upgrade() -> None:
    with op.batch_alter_table("users") as b:
        b.add_column(sa.Column("password_hash", sa.String(255)))
        b.add_column(sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()))
        b.add_column(sa.Column("language", sa.String(16)))
        b.add_column(sa.Column("department_id", ID))
        b.add_column(sa.Column("updated_at", sa.DateTime))
        b.add_column(sa.Column("last_login_at", sa.DateTime))
    op.create_table(
        "departments",
        _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("parent_id", ID),
        sa.Column("manager_id", ID),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_departments_parent_id", "departments", ["parent_id"])
    op.create_table(
        "user_departments",
        sa.Column("user_id", ID, primary_key=True),
        sa.Column("department_id", ID, primary_key=True),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("last_seen_at", sa.DateTime, nullable=False),
        sa.Column("address", sa.String(64)),
        sa.Column("user_agent", sa.String(255)),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    op.create_table(
        "api_tokens",
        _id(),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("read_only", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime),
        sa.Column("last_used_at", sa.DateTime),
        sa.Column("revoked_at", sa.DateTime),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_index("uq_api_tokens_token_hash", "api_tokens", ["token_hash"], unique=True)
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("window_start", sa.DateTime, nullable=False),
        sa.Column("locked_until", sa.DateTime),
    )
    op.create_table(
        "roles",
        _id(),
        sa.Column("key", sa.String(63), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("uq_roles_key", "roles", ["key"], unique=True)
    op.create_table(
        "user_roles",
        sa.Column("user_id", ID, primary_key=True),
        sa.Column("role_id", ID, primary_key=True),
    )
    op.create_index("ix_user_roles_role_id", "user_roles", ["role_id"])
    op.create_table(
        "role_apps",
        sa.Column("role_id", ID, primary_key=True),
        sa.Column("app_id", ID, primary_key=True),
    )
    flag = {"nullable": False, "server_default": sa.false()}
    op.create_table(
        "role_tables",
        sa.Column("role_id", ID, primary_key=True),
        sa.Column("table_id", ID, primary_key=True),
        sa.Column("can_create", sa.Boolean, **flag),
        sa.Column("can_read", sa.Boolean, **flag),
        sa.Column("can_update", sa.Boolean, **flag),
        sa.Column("can_delete", sa.Boolean, **flag),
        sa.Column("can_export", sa.Boolean, **flag),
        sa.Column("can_manage", sa.Boolean, **flag),
        sa.Column("row_scope", sa.String(32), nullable=False, server_default="all"),
        sa.Column("row_filter", sa.JSON),
    )
    op.create_index("ix_role_tables_table_id", "role_tables", ["table_id"])
    op.create_table(
        "role_fields",
        sa.Column("role_id", ID, primary_key=True),
        sa.Column("field_id", ID, primary_key=True),
        sa.Column("access", sa.String(16), nullable=False),
    )
    op.create_table(
        "audit_log",
        _id(),
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
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_actor_id", "audit_log", ["actor_id"])
    op.create_index("ix_audit_log_target", "audit_log", ["target_type", "target_id"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("last_id", ID, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(
        sa.table("audit_head", sa.column("id"), sa.column("last_id"), sa.column("last_hash")),
        [{"id": 1, "last_id": 0, "last_hash": GENESIS}],
    )


def downgrade() -> None:
    for name in (
        "audit_head",
        "audit_log",
        "role_fields",
        "role_tables",
        "role_apps",
        "user_roles",
        "roles",
        "login_throttle",
        "api_tokens",
        "sessions",
        "user_departments",
        "departments",
    ):
        op.drop_table(name)
    with op.batch_alter_table("users") as b:
        for col in (
            "last_login_at",
            "updated_at",
            "department_id",
            "language",
            "is_admin",
            "password_hash",
        ):
            b.drop_column(col)
