"""Filtering records by their tags: a condition on the pseudo-field ``_tags``
(``{"field": "_tags", "op": "has_any" | "has_all" | "has_none", "value": [tag ids]}``, or
``is_empty`` / ``is_not_empty``) compiles to EXISTS semi-joins on ``record_tags`` through
``ix_record_tags_tag_id`` / ``uq_record_tags_table_id``. Grid views, segments, row scopes and
rule filters take it like any condition.

Which ids are the app's tags is checked where a filter comes in with a connection at hand
(``unknown_tags``, called by the permission guard): compiling only shapes the SQL, and an id
of no tag matches nothing."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from cairn.query.operators import Linked
from cairn.query.operators.base import MAX_LIST, Where
from cairn.store.catalog import TableSchema
from cairn.store.tables.tags import record_tags, tags

TAGS_FIELD = "_tags"
#: The operators a ``_tags`` condition takes.
TAG_OPS = ("has_any", "has_all", "has_none", "is_empty", "is_not_empty")
#: The operators whose value is a list of tag ids.
LIST_OPS = ("has_any", "has_all", "has_none")


def tags_linked(schema: TableSchema, source: Any) -> Linked:
    """The record's tags as a linked set: ``where(table_id, tag_id)``."""
    rt = record_tags.c
    record_id = source.c.id

    def exists(where: Where | None) -> sa.ColumnElement[bool]:
        q = sa.exists().where(rt.table_id == schema.id, rt.record_id == record_id)
        return q.where(where(rt.table_id, rt.tag_id)) if where is not None else q

    return Linked(exists)


def tag_values(raw: Any) -> list[int] | None:
    """The ids of a list operand, or None when it is not a list of whole numbers."""
    if not isinstance(raw, list) or len(raw) > MAX_LIST:
        return None
    out: list[int] = []
    for v in raw:
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            return None
        out.append(v)
    return out


def tag_conditions(tree: Any, loc: str = "filter") -> list[tuple[str, list[Any]]]:
    """Every ``_tags`` condition's list value in a filter tree, with the value's location."""
    out: list[tuple[str, list[Any]]] = []
    if isinstance(tree, dict):
        if tree.get("field") == TAGS_FIELD and isinstance(tree.get("value"), list):
            out.append((f"{loc}.value", tree["value"]))
        for k, v in tree.items():
            if isinstance(v, dict | list) and k != "value":
                out += tag_conditions(v, f"{loc}.{k}")
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            out += tag_conditions(v, f"{loc}.{i}")
    return out


def unknown_tags(
    conn: sa.Connection, app_id: int, tree: Any, loc: str = "filter"
) -> tuple[str, Any] | None:
    """The first tag id a filter's ``_tags`` conditions name that is not a tag of the app, with
    its location (``filter.and.0.value.1``); None when all are."""
    found = tag_conditions(tree, loc)
    ids = {v for _, values in found for v in values if isinstance(v, int)}
    known: set[int] = set()
    if ids:
        q = sa.select(tags.c.id).where(tags.c.app_id == app_id, tags.c.id.in_(sorted(ids)))
        known = set(conn.execute(q).scalars())
    for where, values in found:
        for i, v in enumerate(values):
            if not isinstance(v, int) or v not in known:
                return f"{where}.{i}", v
    return None


__all__: list[str] = [
    "LIST_OPS",
    "TAGS_FIELD",
    "TAG_OPS",
    "tag_conditions",
    "tag_values",
    "tags_linked",
    "unknown_tags",
]
