"""A rule's enable point in the outbox: the newest event id when it was last switched on, so
it reacts only to events committed after that (rules enabled before this version keep 0: they
react to every event, as before).

Revision ID: m015_rule_armed_event
Revises: 0016
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "m015_rule_armed_event"
down_revision = "0016"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("rules") as batch:
        batch.add_column(sa.Column("armed_event_id", ID, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("rules") as batch:
        batch.drop_column("armed_event_id")
