"""Public forms (issue 19): a form published at a public address with its owner, thank-you
page, prefill fields and spam limits; and the proof-of-work challenges already spent.

Revision ID: m026_public_forms
Revises: m025_form_variants
Create Date: 2027-03-02
"""

import sqlalchemy as sa
from alembic import op

revision = "m026_public_forms"
down_revision = "m025_form_variants"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "form_publications",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column(
            "table_id",
            ID,
            sa.ForeignKey("tables.id", name="fk_form_publications_table_id"),
            nullable=False,
        ),
        sa.Column("form_key", sa.String(63), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("secret", sa.String(64), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column(
            "owner_id",
            ID,
            sa.ForeignKey("users.id", name="fk_form_publications_owner_id"),
            nullable=True,
        ),
        sa.Column("thank_you", sa.JSON, nullable=False),
        sa.Column("prefill", sa.JSON, nullable=False),
        sa.Column("min_fill_seconds", sa.Integer, nullable=False),
        sa.Column("max_bytes", sa.Integer, nullable=False),
        sa.Column("difficulty", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index(
        "ux_form_publications_table_form",
        "form_publications",
        ["table_id", "form_key"],
        unique=True,
    )
    op.create_index("ux_form_publications_token", "form_publications", ["token"], unique=True)
    op.create_table(
        "public_form_proofs",
        sa.Column("challenge", sa.String(64), primary_key=True),
        sa.Column("publication_id", ID, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_public_form_proofs_expires_at", "public_form_proofs", ["expires_at"])


def downgrade() -> None:
    op.drop_table("public_form_proofs")
    op.drop_table("form_publications")
