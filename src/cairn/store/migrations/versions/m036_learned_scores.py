"""The learned churn model of a score model (issue 22): what training kept, beside the model.

Revision ID: m036_learned_scores
Revises: m035_timeline
Create Date: 2027-04-29
"""

import sqlalchemy as sa
from alembic import op

revision = "m036_learned_scores"
down_revision = "m035_timeline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("score_models") as batch:
        batch.add_column(sa.Column("learned", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("score_models") as batch:
        batch.drop_column("learned")
