from __future__ import annotations

from typing import Any

from cairn.query import build_select


def ids(w: Any, table: str, filter: Any = None, sort: Any = None, **kw: Any) -> list[int]:
    plan = build_select(
        w.catalog, w.schema(table), filter=filter, sort=sort, clock=w.clock, limit=1000, **kw
    )
    return [r.id for r in w.rows(plan.select)]


def where(w: Any, table: str, field: str, op: str, *value: Any) -> set[int]:
    node: dict[str, Any] = {"field": field, "op": op}
    if value:
        node["value"] = value[0]
    return set(ids(w, table, node))
