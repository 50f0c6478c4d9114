"""Record imports from CSV and XLSX files (issue 21): import jobs with their committed offset
(a run resumes there after a crash), the refused rows of each job, saved column mappings.

Revision ID: m028_imports
Revises: m027_auto_indexes
Create Date: 2027-04-02
"""

import sqlalchemy as sa
from alembic import op

revision = "m028_imports"
down_revision = "m027_auto_indexes"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "import_jobs",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("app_id", ID, nullable=False),
        sa.Column("table_id", ID, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("phase", sa.String(16)),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("file_path", sa.String(500), nullable=False),
        sa.Column("source", sa.JSON, nullable=False),
        sa.Column("settings", sa.JSON),
        sa.Column("total_rows", sa.Integer),
        sa.Column("offset", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated", sa.Integer, nullable=False, server_default="0"),
        sa.Column("skipped", sa.Integer, nullable=False, server_default="0"),
        sa.Column("refused", sa.Integer, nullable=False, server_default="0"),
        sa.Column("report", sa.JSON),
        sa.Column("error", sa.Text),
        sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("claimed_by", sa.String(200)),
        sa.Column("heartbeat_at", sa.DateTime),
        sa.Column("started_at", sa.DateTime),
        sa.Column("started_offset", sa.Integer, nullable=False, server_default="0"),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("created_by", ID),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_import_jobs_table_id", "import_jobs", ["table_id", "id"])
    op.create_index("ix_import_jobs_status", "import_jobs", ["status"])
    op.create_table(
        "import_errors",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("job_id", ID, nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("row_no", sa.Integer, nullable=False),
        sa.Column("cells", sa.JSON, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("ix_import_errors_job_id", "import_errors", ["job_id", "phase", "row_no"])
    op.create_table(
        "import_mappings",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("table_id", ID, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("mapping", sa.JSON, nullable=False),
        sa.Column("created_by", ID),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index(
        "uq_import_mappings_table_id", "import_mappings", ["table_id", "name"], unique=True
    )


def downgrade() -> None:
    op.drop_table("import_mappings")
    op.drop_table("import_errors")
    op.drop_table("import_jobs")
