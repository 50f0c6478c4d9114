"""One-ID (issue 21): match rules, blocking keys, duplicate suggestions, merges with what
unmerge needs, and "find duplicates" jobs.

Revision ID: m030_identity
Revises: m029_live_composite_indexes
Create Date: 2027-04-20
"""

import sqlalchemy as sa
from alembic import op

revision = "m030_identity"
down_revision = "m029_live_composite_indexes"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "identity_rules",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("table_id", ID, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("parts", sa.JSON, nullable=False),
        sa.Column("threshold", sa.Float, nullable=False, server_default="100"),
        sa.Column("action", sa.String(16), nullable=False, server_default="suggest"),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_by", ID),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_identity_rules_table_id", "identity_rules", ["table_id", "position"])
    op.create_table(
        "identity_blocks",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("table_id", ID, nullable=False),
        sa.Column("rule_id", ID, nullable=False),
        sa.Column("record_id", ID, nullable=False),
        sa.Column("block", sa.String(200), nullable=False),
    )
    op.create_index(
        "ix_identity_blocks_rule_id", "identity_blocks", ["rule_id", "block", "record_id"]
    )
    op.create_index("ix_identity_blocks_table_id", "identity_blocks", ["table_id", "record_id"])
    op.create_table(
        "identity_suggestions",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("table_id", ID, nullable=False),
        sa.Column("rule_id", ID),
        sa.Column("record_a", ID, nullable=False),
        sa.Column("record_b", ID, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("decided_by", ID),
        sa.Column("decided_at", sa.DateTime),
    )
    op.create_index(
        "uq_identity_suggestions_pair",
        "identity_suggestions",
        ["table_id", "record_a", "record_b"],
        unique=True,
    )
    op.create_index(
        "ix_identity_suggestions_status", "identity_suggestions", ["table_id", "status", "score"]
    )
    op.create_index(
        "ix_identity_suggestions_record_b", "identity_suggestions", ["table_id", "record_b"]
    )
    op.create_table(
        "identity_merges",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("table_id", ID, nullable=False),
        sa.Column("survivor_id", ID, nullable=False),
        sa.Column("loser_id", ID, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="merged"),
        sa.Column("loser_values", sa.JSON, nullable=False),
        sa.Column("survivor_values", sa.JSON, nullable=False),
        sa.Column("choices", sa.JSON, nullable=False),
        sa.Column("moved", sa.JSON, nullable=False),
        sa.Column("suggestion_id", ID),
        sa.Column("merged_by", ID),
        sa.Column("merged_at", sa.DateTime, nullable=False),
        sa.Column("unmerged_by", ID),
        sa.Column("unmerged_at", sa.DateTime),
    )
    op.create_index(
        "ix_identity_merges_loser_id", "identity_merges", ["table_id", "loser_id", "status"]
    )
    op.create_index(
        "ix_identity_merges_survivor_id", "identity_merges", ["table_id", "survivor_id", "status"]
    )
    op.create_table(
        "identity_jobs",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("table_id", ID, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer),
        sa.Column("done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("found", sa.Integer, nullable=False, server_default="0"),
        sa.Column("merged", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.Text),
        sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("claimed_by", sa.String(200)),
        sa.Column("heartbeat_at", sa.DateTime),
        sa.Column("started_at", sa.DateTime),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("created_by", ID),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_identity_jobs_table_id", "identity_jobs", ["table_id", "id"])
    op.create_index("ix_identity_jobs_status", "identity_jobs", ["status"])


def downgrade() -> None:
    op.drop_table("identity_jobs")
    op.drop_table("identity_merges")
    op.drop_table("identity_suggestions")
    op.drop_table("identity_blocks")
    op.drop_table("identity_rules")
