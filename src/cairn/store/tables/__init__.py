"""The system tables, one module per engine, all on one ``metadata`` (``base.py``).

Alembic migrations create and evolve them. Importing this package loads every module, so
``metadata`` holds every table; a new feature adds its own module here and to the list below.
"""

from cairn.store.tables import (
    auth,
    calendar,
    comments,
    core,
    forms,
    identity,
    imports,
    integrations,
    interactions,
    process,
    reports,
    rules,
    scores,
    segments,
    tags,
)
from cairn.store.tables.base import ID, id_column, metadata

__all__ = [
    "ID",
    "auth",
    "calendar",
    "comments",
    "core",
    "forms",
    "id_column",
    "identity",
    "imports",
    "integrations",
    "interactions",
    "metadata",
    "process",
    "reports",
    "rules",
    "scores",
    "segments",
    "tags",
]
