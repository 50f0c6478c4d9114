"""Alembic environment: runs on the connection Cairn hands it (see cairn.store.migrate)."""

from __future__ import annotations

from alembic import context

from cairn.store.system import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - Cairn always passes a connection
    raise RuntimeError("run migrations through `cairn migrate`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
