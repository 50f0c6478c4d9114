"""The database: engines, system tables, the catalogue, runtime DDL, records, history, outbox."""

from cairn.store import ddl, history, outbox, records, system
from cairn.store.catalog import (
    Catalog,
    CatalogCache,
    TableSchema,
    bump_schema_version,
    load_catalog,
    schema_version,
)
from cairn.store.engine import create_engine, current_revision, migrate

__all__ = [
    "Catalog",
    "CatalogCache",
    "TableSchema",
    "bump_schema_version",
    "create_engine",
    "current_revision",
    "ddl",
    "history",
    "load_catalog",
    "migrate",
    "outbox",
    "records",
    "schema_version",
    "system",
]
