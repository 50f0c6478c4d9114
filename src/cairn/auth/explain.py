"""Why a user may or may not do something with a table: which roles, row scopes and field
rules decide it (and whether a given record is in their scope)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from cairn.auth.access import for_table
from cairn.auth.operations import ACTIONS, SCOPED
from cairn.auth.principal import Principal
from cairn.core import Clock
from cairn.store import Catalog, TableSchema
from cairn.store import records as store_records


def explain(
    conn: sa.Connection,
    cat: Catalog,
    clock: Clock,
    row: Any,
    schema: TableSchema,
    record: int | None = None,
) -> dict[str, Any]:
    """What the user of ``row`` (a users row) may do with ``schema`` and ``record``, and why."""
    subject = Principal(row.id, row.username, bool(row.is_admin), "session")
    access = for_table(conn, subject, schema)
    exists = record is not None and store_records.exists(conn, schema, record)
    actions: dict[str, Any] = {}
    for a in ACTIONS:
        entry: dict[str, Any] = {
            "allowed": access.can(a) and row.status == "active",
            "roles": [g.role_key for g in access.grants if a in g.actions],
        }
        if access.unrestricted:
            entry["reason"] = "administrator"
        if a in SCOPED and entry["allowed"]:
            entry["row_scopes"] = (
                [{"scope": "all", "role": None}]
                if access.unrestricted
                else [
                    {"scope": g.scope, "role": g.role_key, "filter": g.row_filter}
                    for g in access.grants
                    if a in g.actions
                ]
            )
            if record is not None:
                where = access.row_where(conn, cat, schema, clock, a)
                t = schema.sa_table
                q = sa.select(t.c.id).where(t.c.id == record)
                if where is not None:
                    q = q.where(where)
                entry["record_in_scope"] = bool(exists and conn.execute(q).first() is not None)
        actions[a] = entry
    fields = [
        {
            "field": f.key,
            "access": access.fields.get(f.id, "full"),
            "roles": access.field_roles.get(f.id, []),
        }
        for f in schema.fields
    ]
    return {
        "user": {"id": row.id, "username": row.username, "status": row.status},
        "is_admin": bool(row.is_admin),
        "app": schema.app.key,
        "table": schema.table.key,
        "record": record,
        "record_exists": exists if record is not None else None,
        "actions": actions,
        "fields": fields,
    }
