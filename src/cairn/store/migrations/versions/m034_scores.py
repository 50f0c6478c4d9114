"""Score models with their scores and history (issue 22).

Revision ID: m034_scores
Revises: m033_segments
Create Date: 2027-04-28
"""

import sqlalchemy as sa
from alembic import op

revision = "m034_scores"
down_revision = "m033_segments"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "score_models",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("app_id", ID, nullable=False),
        sa.Column("table_id", ID, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("kind", sa.String(16), nullable=False, server_default="weighted"),
        sa.Column("inputs", sa.JSON, nullable=False),
        sa.Column("bands", sa.JSON, nullable=False),
        sa.Column("created_by", ID),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_score_models_table_id", "score_models", ["table_id"])
    op.create_table(
        "scores",
        sa.Column("model_id", ID, primary_key=True),
        sa.Column("record_id", ID, primary_key=True),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("band", sa.String(16), nullable=False),
        sa.Column("contributions", sa.JSON, nullable=False),
        sa.Column("computed_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_scores_model_id", "scores", ["model_id", "band"])
    op.create_table(
        "score_history",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("model_id", ID, nullable=False),
        sa.Column("record_id", ID, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("band", sa.String(16), nullable=False),
    )
    op.create_index("ix_score_history_model_id", "score_history", ["model_id", "record_id", "at"])


def downgrade() -> None:
    op.drop_table("score_history")
    op.drop_table("scores")
    op.drop_table("score_models")
