"""Public forms (表单发布): a form published at a public address, and the proofs of work
already spent there."""

from __future__ import annotations

import sqlalchemy as sa

from cairn.store.tables.base import ID, id_column, metadata

#: A form of a table (its default form or a variant, by key) published at
#: ``/f/<token>``: who owns what it creates, what its thank-you page says, which fields a
#: signed link may fill in, and its spam limits. ``secret`` signs the proof-of-work
#: challenges and the prefill links; it never leaves the server.
form_publications = sa.Table(
    "form_publications",
    metadata,
    id_column(),
    sa.Column("table_id", ID, sa.ForeignKey("tables.id"), nullable=False),
    #: ``default`` (the table's own form) or a form variant's key.
    sa.Column("form_key", sa.String(63), nullable=False),
    sa.Column("token", sa.String(64), nullable=False),
    sa.Column("secret", sa.String(64), nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("owner_id", ID, sa.ForeignKey("users.id"), nullable=True),
    #: {"zh-CN": {"title", "text"}, "en": {"title", "text"}}
    sa.Column("thank_you", sa.JSON, nullable=False),
    #: The ids of the fields a signed link may fill in.
    sa.Column("prefill", sa.JSON, nullable=False),
    sa.Column("min_fill_seconds", sa.Integer, nullable=False),
    sa.Column("max_bytes", sa.Integer, nullable=False),
    sa.Column("difficulty", sa.Integer, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Index("ux_form_publications_table_form", "table_id", "form_key", unique=True),
    sa.Index("ux_form_publications_token", "token", unique=True),
)

#: Proof-of-work challenges already used for a submission: each is accepted once (a replay is
#: refused in every process); rows go once the challenge could no longer be used anyway.
public_form_proofs = sa.Table(
    "public_form_proofs",
    metadata,
    sa.Column("challenge", sa.String(64), primary_key=True),
    sa.Column("publication_id", ID, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
    sa.Index("ix_public_form_proofs_expires_at", "expires_at"),
)
