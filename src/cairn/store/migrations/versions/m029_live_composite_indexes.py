"""Composite automatic indexes over live records only (issue 20).

The advisor now builds its composite indexes partial (``WHERE deleted_at IS NULL``) so that a
page's count reads the index alone. Those built before keep their name, so the advisor would
never rebuild them: this drops every composite automatic index that is not partial, with its
row in ``auto_indexes``; the advisor learns them again from the next pages that want them.

Revision ID: m029_live_composite_indexes
Revises: m028_imports
Create Date: 2027-03-27
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "m029_live_composite_indexes"
down_revision = "m028_imports"
branch_labels = None
depends_on = None

#: A composite automatic index's name (``store.index_shapes.COMPOSITE_NAME``), checked again
#: here because the name is put into DDL (it comes from the catalogue, never from a request).
COMPOSITE = re.compile(r"^ix_t\d+_c\d+(?:_\d+)+$")


def _definition(conn: sa.Connection, name: str) -> str | None:
    if conn.dialect.name == "postgresql":
        sql = "SELECT indexdef FROM pg_indexes WHERE indexname = :n"
    else:
        sql = "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :n"
    return conn.execute(sa.text(sql), {"n": name}).scalar()


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT name FROM auto_indexes WHERE kind = 'composite'"))
    for name in [r[0] for r in rows]:
        if not COMPOSITE.match(name):
            continue
        definition = _definition(conn, name)
        if definition is not None and " WHERE " in definition.upper():
            continue
        conn.execute(
            sa.text(f"DROP INDEX IF EXISTS {conn.dialect.identifier_preparer.quote(name)}")
        )
        conn.execute(sa.text("DELETE FROM auto_indexes WHERE name = :n"), {"n": name})


def downgrade() -> None:
    """Nothing to restore: the advisor rebuilds what pages want."""
