"""The few SQLite/PostgreSQL differences of the query layer, as SQLAlchemy constructs.

Each construct is built once, without knowing the database, and renders the right SQL for the
dialect it is compiled for. Values always travel as bound parameters.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal


class JsonArrayHasAny(sa.ColumnElement[bool]):
    """True when the JSON text array in ``column`` holds any of ``values`` (strings).

    A NULL or empty column holds nothing, so ``~JsonArrayHasAny`` is true for it.
    """

    type = sa.Boolean()
    inherit_cache = True
    _traverse_internals = [  # noqa: RUF012
        ("column", InternalTraversal.dp_clauseelement),
        ("values", InternalTraversal.dp_clauseelement_list),
    ]

    def __init__(self, column: sa.ColumnElement[Any], values: list[str]) -> None:
        self.column = column
        self.values = [sa.literal(str(v), sa.Text()) for v in values]


@compiles(JsonArrayHasAny)
def _has_any_sqlite(element: JsonArrayHasAny, compiler: Any, **kw: Any) -> str:
    items = sa.func.json_each(element.column).table_valued("value")
    expr = sa.exists().select_from(items).where(items.c.value.in_(element.values))
    return compiler.process(expr, **kw)


@compiles(JsonArrayHasAny, "postgresql")
def _has_any_pg(element: JsonArrayHasAny, compiler: Any, **kw: Any) -> str:
    doc = sa.cast(sa.func.nullif(element.column, ""), pg.JSONB)
    expr = sa.func.coalesce(
        doc.has_any(sa.cast(pg.array(element.values), pg.ARRAY(sa.Text()))), sa.false()
    )
    return compiler.process(expr, **kw)


class JsonArrayAgg(sa.ColumnElement[Any]):
    """A JSON array of ``value`` over the rows of ``select`` in ``order`` ('[]' when none).

    ``select`` is a Select whose FROM and WHERE pick the rows; the construct adds the aggregate.
    SQLite before 3.44 has no ORDER BY inside an aggregate, so it aggregates an ordered subquery.
    """

    type = sa.JSON()
    inherit_cache = True
    _traverse_internals = [  # noqa: RUF012
        ("value", InternalTraversal.dp_clauseelement),
        ("order", InternalTraversal.dp_clauseelement),
        ("select", InternalTraversal.dp_clauseelement),
    ]

    def __init__(
        self, value: sa.ColumnElement[Any], order: sa.ColumnElement[Any], select: sa.Select[Any]
    ) -> None:
        self.value = value
        self.order = order
        self.select = select


@compiles(JsonArrayAgg)
def _agg_sqlite(element: JsonArrayAgg, compiler: Any, **kw: Any) -> str:
    inner = element.select.with_only_columns(element.value.label("v")).order_by(element.order)
    sub = inner.subquery()
    outer = sa.select(sa.func.coalesce(sa.func.json_group_array(sub.c.v), "[]")).scalar_subquery()
    return compiler.process(outer, **kw)


@compiles(JsonArrayAgg, "postgresql")
def _agg_pg(element: JsonArrayAgg, compiler: Any, **kw: Any) -> str:
    agg = sa.aggregate_order_by(sa.func.json_agg(element.value), element.order)
    outer = element.select.with_only_columns(
        sa.func.coalesce(agg, sa.cast(sa.literal("[]"), pg.JSON))
    ).scalar_subquery()
    return compiler.process(outer, **kw)


class IdsIn(sa.ColumnElement[bool]):
    """``column`` is one of the ids in the JSON text array bound as ``name`` (``"[1, 2]"``):
    one parameter whatever the number of ids, so the statement stays the same from call to
    call (prepared once: ``store.fastread``)."""

    type = sa.Boolean()
    inherit_cache = True
    _traverse_internals = [  # noqa: RUF012
        ("column", InternalTraversal.dp_clauseelement),
        ("param", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: sa.ColumnElement[Any], name: str) -> None:
        self.column = column
        self.param = sa.bindparam(name, "[]", type_=sa.Text())


@compiles(IdsIn)
def _ids_in_sqlite(element: IdsIn, compiler: Any, **kw: Any) -> str:
    items = sa.func.json_each(element.param).table_valued("value")
    return compiler.process(element.column.in_(sa.select(items.c.value)), **kw)


@compiles(IdsIn, "postgresql")
def _ids_in_pg(element: IdsIn, compiler: Any, **kw: Any) -> str:
    items = sa.func.jsonb_array_elements_text(sa.cast(element.param, pg.JSONB)).table_valued(
        "value"
    )
    ids = sa.select(sa.cast(items.c.value, sa.BigInteger))
    return compiler.process(element.column.in_(ids), **kw)
