"""Interactions (issue 22): calls, visits, e-mails, meetings, logins and orders with a customer,
logged by hand on the 360° page or posted by other systems (a call centre, the website, a
mini-program). The customer timeline shows them and the inactivity trigger counts them."""

from __future__ import annotations

import sqlalchemy as sa

from cairn.store.tables.base import ID, id_column, metadata

#: One interaction with one customer record (``table_id`` / ``record_id``). ``kind``: ``call``,
#: ``visit``, ``email``, ``meeting``, ``login``, ``order`` or ``other``; ``direction``: ``in``,
#: ``out`` or NULL; ``source``: where it came from (``manual`` when logged in the UI, else
#: the posting system's name); ``idempotency_key``: a posting system's key, unique per app, so a
#: retried post stores it once. ``actor_id``: the user who logged it (NULL for a system's post).
interactions = sa.Table(
    "interactions",
    metadata,
    id_column(),
    sa.Column("app_id", ID, nullable=False),
    sa.Column("table_id", ID, nullable=False),
    sa.Column("record_id", ID, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("direction", sa.String(8)),
    sa.Column("occurred_at", sa.DateTime, nullable=False),
    sa.Column("subject", sa.String(500), nullable=False, server_default=""),
    sa.Column("body", sa.Text),
    sa.Column("duration_seconds", sa.Integer),
    sa.Column("source", sa.String(64), nullable=False, server_default="manual"),
    sa.Column("idempotency_key", sa.String(200)),
    sa.Column("payload", sa.JSON),
    sa.Column("actor_id", ID),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("deleted_at", sa.DateTime),
    sa.Index("ix_interactions_table_id", "table_id", "record_id", "occurred_at"),
    sa.Index("ix_interactions_app_id", "app_id", "idempotency_key", unique=True),
)
