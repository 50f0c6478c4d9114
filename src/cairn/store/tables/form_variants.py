"""Form variants (表单): more forms of a table beside its own layout, its default form."""

from __future__ import annotations

import sqlalchemy as sa

from cairn.store.tables.base import ID, id_column, metadata

#: A table's other forms (``services.forms``): a layout with its linkage rules over the same
#: fields, the roles that open it by default, its place in the list.
form_variants = sa.Table(
    "form_variants",
    metadata,
    id_column(),
    sa.Column("table_id", ID, sa.ForeignKey("tables.id"), nullable=False),
    sa.Column("key", sa.String(63), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    #: As a table's layout: {"sections": [...], "rules": [...]}, with field ids.
    sa.Column("layout", sa.JSON, nullable=False),
    #: The keys of the roles whose members open this form by default.
    sa.Column("roles", sa.JSON, nullable=False),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Index("ux_form_variants_table_key", "table_id", "key", unique=True),
)
