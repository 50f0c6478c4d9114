"""Purging a deleted record for good: its sub-forms' rows, its links, history, comments, tags
and row."""

from __future__ import annotations

import sqlalchemy as sa

from cairn.meta.fieldtypes.relations import junction_sides
from cairn.store import system
from cairn.store.catalog import Catalog, TableSchema
from cairn.store.subform_rows import purge_with_parent
from cairn.store.tables.tags import record_tags


def purge(conn: sa.Connection, cat: Catalog, s: TableSchema, record_id: int) -> None:
    purge_with_parent(conn, cat, s, record_id)
    for f in s.fields:
        if f.is_relation:
            owner = cat.all_fields[f.options.get("reverse_of") or f.id]
            j = cat.junction(owner)
            mine, _ = junction_sides(f)
            conn.execute(sa.delete(j).where(j.c[mine] == record_id))
    for log in (system.history, system.record_comments, record_tags):
        conn.execute(sa.delete(log).where(log.c.table_id == s.id, log.c.record_id == record_id))
    conn.execute(sa.delete(s.sa_table).where(s.sa_table.c.id == record_id))
