"""Deliveries own their retries (issue 17): each delivery keeps what is needed to send it again
(``payload``), where it came from (rule, run, app, table, record), the provider's last answer,
and when the worker tries it next; every attempt is a row of ``delivery_attempts``.

The old ``failed`` status is split into ``retrying`` and ``dead``: rows failed before this
version had their retries run by the outbox dispatcher, which gave up, so they become ``dead``
(an administrator may replay them).

Revision ID: m019_deliveries
Revises: m018_instance_list
Create Date: 2027-01-20
"""

import sqlalchemy as sa
from alembic import op

revision = "m019_deliveries"
down_revision = "m018_instance_list"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("kind", sa.String(32), nullable=False, server_default=""))
        batch.add_column(sa.Column("subject", sa.String(500), nullable=False, server_default=""))
        batch.add_column(sa.Column("response", sa.Text))
        batch.add_column(sa.Column("payload", sa.JSON))
        batch.add_column(sa.Column("rule_id", ID))
        batch.add_column(sa.Column("run_id", ID))
        batch.add_column(sa.Column("app_id", ID))
        batch.add_column(sa.Column("table_id", ID))
        batch.add_column(sa.Column("record_id", ID))
        batch.add_column(sa.Column("updated_at", sa.DateTime))
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime))
    d = sa.table("deliveries", sa.column("status"), sa.column("kind"), sa.column("channel"))
    op.execute(sa.update(d).where(d.c.status == "failed").values(status="dead"))
    # The kind is the part of the channel key before ":" (e.g. wecom:service-group → wecom).
    conn = op.get_bind()
    rows = conn.execute(sa.select(d.c.channel).distinct()).scalars().all()
    for channel in rows:
        op.execute(
            sa.update(d).where(d.c.channel == channel).values(kind=channel.partition(":")[0])
        )
    op.create_index("ix_deliveries_due", "deliveries", ["status", "next_attempt_at"])
    op.create_index("ix_deliveries_rule", "deliveries", ["rule_id", "id"])
    op.create_index("ix_deliveries_channel", "deliveries", ["channel", "id"])
    op.create_table(
        "delivery_attempts",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", ID, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("response", sa.Text),
        sa.Column("ms", sa.Integer, nullable=False, server_default="0"),
        sa.Column("replay_by", ID),
    )
    op.create_index("ix_delivery_attempts_delivery", "delivery_attempts", ["delivery_id", "id"])


def downgrade() -> None:
    op.drop_table("delivery_attempts")
    op.drop_index("ix_deliveries_channel", "deliveries")
    op.drop_index("ix_deliveries_rule", "deliveries")
    op.drop_index("ix_deliveries_due", "deliveries")
    d = sa.table("deliveries", sa.column("status"))
    op.execute(sa.update(d).where(d.c.status.in_(["retrying", "dead"])).values(status="failed"))
    with op.batch_alter_table("deliveries") as batch:
        for name in (
            "next_attempt_at",
            "updated_at",
            "record_id",
            "table_id",
            "app_id",
            "run_id",
            "rule_id",
            "payload",
            "response",
            "subject",
            "kind",
        ):
            batch.drop_column(name)
