"""Record imports from files (issue 21): the jobs, their refused rows, saved mappings."""

from __future__ import annotations

import sqlalchemy as sa

from cairn.store.tables.base import ID, id_column, metadata

#: One uploaded file and what is done with it. ``status``: ``uploaded`` (previewed, not yet
#: started), ``queued``, ``running``, ``done``, ``failed``, ``cancelled``; ``phase``: ``dry_run``
#: (writes nothing; its counts and sample rows go to ``report``) or ``run``. ``offset`` is
#: how many data rows of the file the committed batches have consumed: a run resumes there
#: (the batch and the new offset commit together, so no row is written twice). ``settings``:
#: mapping, mode, key, run_rules, language; ``source``: kind, encoding, sheet, header_rows.
import_jobs = sa.Table(
    "import_jobs",
    metadata,
    id_column(),
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
    #: The worker running it and when it last said so: a running job whose heartbeat is old
    #: was left by a worker that died, and another takes it over from ``offset``.
    sa.Column("claimed_by", sa.String(200)),
    sa.Column("heartbeat_at", sa.DateTime),
    sa.Column("started_at", sa.DateTime),
    #: Rows done when this worker took the job over (the rate counts this worker's rows).
    sa.Column("started_offset", sa.Integer, nullable=False, server_default="0"),
    sa.Column("finished_at", sa.DateTime),
    sa.Column("created_by", ID),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Index("ix_import_jobs_table_id", "table_id", "id"),
    sa.Index("ix_import_jobs_status", "status"),
)

#: The refused rows of a job's phase, with the row as read and the reason (the error file).
import_errors = sa.Table(
    "import_errors",
    metadata,
    id_column(),
    sa.Column("job_id", ID, nullable=False),
    sa.Column("phase", sa.String(16), nullable=False),
    sa.Column("row_no", sa.Integer, nullable=False),
    sa.Column("cells", sa.JSON, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Index("ix_import_errors_job_id", "job_id", "phase", "row_no"),
)

#: A table's saved column mappings (header → field key), by name.
import_mappings = sa.Table(
    "import_mappings",
    metadata,
    id_column(),
    sa.Column("table_id", ID, nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("mapping", sa.JSON, nullable=False),
    sa.Column("created_by", ID),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Index("uq_import_mappings_table_id", "table_id", "name", unique=True),
)
