"""Filter trees and sorts → one SQLAlchemy Select over a record table.

``compile_filter`` turns a filter tree into a boolean expression; ``build_select`` makes the
page query (filter, multi-key sort with blanks last ascending / first descending, keyset cursor,
limit) and its count query. Everything is pushed down to SQL; nothing is filtered in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from cairn.core import Clock
from cairn.meta import Field
from cairn.query.expand import record_columns
from cairn.query.filters import (
    CLOCK_OPS,
    EMPTY_OPS,
    INDEX_OPS,
    SENSITIVE_OPS,
    FilterCompiler,
    compile_filter,
    default_operators,
)
from cairn.query.operators import OperatorRegistry
from cairn.query.paging import decode_cursor, encode_cursor, seek_condition, sort_signature
from cairn.query.subjects import (
    SYSTEM_FIELD_TYPES,
    Subject,
    bare_column,
    note_use,
    resolve,
    sensitive_target,
)
from cairn.query.tree import SortKey, invalid, parse_filter, parse_sort
from cairn.store import fastread
from cairn.store.catalog import Catalog, TableSchema
from cairn.store.index_shapes import QueryShape, ShapeNotes

__all__ = [
    "CLOCK_OPS",
    "EMPTY_OPS",
    "INDEX_OPS",
    "MAX_LIMIT",
    "SENSITIVE_OPS",
    "SYSTEM_FIELD_TYPES",
    "FilterCompiler",
    "QueryPlan",
    "Subject",
    "build_select",
    "compile_filter",
    "default_operators",
    "resolve",
    "sensitive_target",
]

MAX_LIMIT = 1000


@dataclass
class QueryPlan:
    """A page query and what it needs to continue: run ``select``, pass the rows to ``page``."""

    select: sa.Select[Any]
    count_select: sa.Select[Any]
    limit: int
    sort: list[SortKey]
    sort_labels: list[str]
    signature: str
    #: field id -> column of the stored fields the filter or sort used (for ``store.indexes``).
    used: dict[int, str] = field(default_factory=dict)
    #: The same inputs give the same SQL at any time (no relative dates): the plan may be reused.
    reusable: bool = True
    #: The stored field the page is sorted by first (field id -> column), if any.
    sorted_by: dict[int, str] = field(default_factory=dict)
    #: ``count_select`` gives the same count at any time while the data is unchanged (no
    #: relative dates, formulas or caller-supplied condition in it): it may be kept.
    count_reusable: bool = True
    #: What a composite index would serve (``store.index_shapes``).
    shape: QueryShape = field(default_factory=QueryShape)
    #: Other tables' fields the filter compared through a lookup: table id -> used.
    related_used: dict[int, dict[int, str]] = field(default_factory=dict)
    #: The statement prepared for ``fetch`` (False: run through Core), made on first use.
    _prepared: Any = field(default=None, repr=False, compare=False)

    def fetch(self, conn: sa.Connection) -> list[Any]:
        """The rows of ``select``. A plan that is kept and run again (the plan cache's) runs
        on SQLite through a statement prepared once (``store.fastread``): same rows, without
        Core's per-execution work."""
        rows, self._prepared = fastread.run(conn, self.select, self._prepared)
        return rows

    def cursor_for(self, row: Any) -> str:
        """The cursor that continues after ``row`` (a row of ``select``)."""
        m = row._mapping if hasattr(row, "_mapping") else row
        return encode_cursor(self.signature, [m[label] for label in self.sort_labels])

    def page(self, rows: Sequence[Any]) -> tuple[list[Any], str | None]:
        """(the rows of this page, the next cursor or None when this is the last page)."""
        rows = list(rows)
        if len(rows) <= self.limit:
            return rows, None
        rows = rows[: self.limit]
        return rows, self.cursor_for(rows[-1])


def _order_by(expr: sa.ColumnElement[Any], descending: bool) -> sa.ColumnElement[Any]:
    """One ORDER BY term, blanks last ascending and first descending. A column that is never
    blank (the id) gets no NULLS clause: the same order, and SQLite serves a NULLS clause from
    an index only on the first column after the equality ones, so ``…, id DESC NULLS FIRST``
    sorted each page's ties in a temporary B-tree instead of walking the index."""
    if isinstance(expr, sa.Column) and not expr.nullable:
        return expr.desc() if descending else expr.asc()
    return expr.desc().nulls_first() if descending else expr.asc().nulls_last()


def _per_owner_page(
    t: sa.Table,
    labelled: list[Any],
    where: list[sa.ColumnElement[bool]],
    scope_at: int,
    order: list[Any],
    exprs: list[tuple[sa.ColumnElement[Any], bool]],
    labels: list[str],
    owners: sa.Select[Any],
    fetch: sa.ColumnElement[Any],
) -> sa.Select[Any]:
    """The page as each owner's first rows, merged (see ``build_select``): the row scope
    (``where[scope_at]``) becomes the join on the owner."""
    scope = owners.subquery("scope_owners")
    owner_id = next(iter(scope.c))
    inner_where = [w for i, w in enumerate(where) if i != scope_at]
    rows = (
        sa.select(*labelled)
        .where(*inner_where, t.c.owner_id == owner_id)
        .order_by(*order)
        .limit(fetch)
        .lateral("owner_rows")
    )
    outer_order = [
        rows.c[lb].desc().nulls_first() if d else rows.c[lb].asc().nulls_last()
        for (_, d), lb in zip(exprs, labels, strict=True)
    ]
    return (
        sa.select(*rows.c)
        .select_from(scope)
        .join(rows, sa.true())
        .order_by(*outer_order)
        .limit(fetch)
    )


def build_select(
    catalog: Catalog,
    schema: TableSchema,
    *,
    filter: Any = None,
    sort: Any = None,
    fields: Sequence[str] | None = None,
    limit: int = 50,
    cursor: str | None = None,
    clock: Clock,
    extra_where: sa.ColumnElement[bool] | None = None,
    extra_where_reusable: bool = False,
    owners: sa.Select[Any] | None = None,
    operators: OperatorRegistry | None = None,
) -> QueryPlan:
    """The page query over ``schema``'s live records.

    ``select`` has the public system columns, the selected fields (stored columns, lookups and
    rollups as ``f_<id>``), the sort values as ``_sort_<n>``, and fetches ``limit + 1`` rows so
    ``QueryPlan.page`` knows whether another page follows. ``extra_where`` (e.g. a row-scope
    permission) is ANDed with the filter; the plan is reusable with it only when the caller
    says it is the same at any time (``extra_where_reusable``: a row scope resolved in SQL).

    ``owners`` (a SELECT of user ids) says that ``extra_where`` is exactly "owned by one of
    these" and that they are few. A page sorted by a stored field is then gathered per owner:
    each owner's first ``limit + 1`` rows in sort order (a short walk of an index on
    (owner_id, field)), merged and cut to the page. A database that tests the owner only after
    reading each row walks ten times the rows when the scope holds a tenth of them; this way it
    reads about what an unscoped page reads. It needs LATERAL (PostgreSQL); the count and the
    rows are the same either way.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise invalid("limit", "value.min", min=1)
    if limit > MAX_LIMIT:
        raise invalid("limit", "value.max", max=MAX_LIMIT)
    t = schema.sa_table
    chosen: list[Field] | None = None
    if fields is not None:
        chosen = []
        for i, key in enumerate(fields):
            f = schema.by_key.get(key) if isinstance(key, str) else None
            if f is None:
                raise invalid(f"fields.{i}", "field.unknown", key=str(key))
            chosen.append(f)

    where: list[sa.ColumnElement[bool]] = [t.c.deleted_at.is_(None)]
    used: dict[int, str] = {}
    related_used: dict[int, dict[int, str]] = {}
    notes = ShapeNotes()
    reusable = extra_where is None or extra_where_reusable
    node = parse_filter(filter)
    if node is not None:
        compiler = FilterCompiler(catalog, schema, clock, operators)
        where.append(compiler.compile(node))
        used, notes, related_used = compiler.used, compiler.notes, compiler.related_used
        reusable = reusable and not compiler.clock_dependent
    scope_at = len(where)
    if extra_where is not None:
        where.append(extra_where)

    keys = parse_sort(sort)
    sorted_by: dict[int, str] = {}
    first_sort: tuple[int, str] | None = None
    exprs: list[tuple[sa.ColumnElement[Any], bool]] = []
    for i, k in enumerate(keys):
        s = resolve(catalog, schema, k.field, f"sort.{i}.field", clock=clock)
        if sensitive_target(catalog, schema, s.field) is not None:
            raise invalid(f"sort.{i}.field", "sort.sensitive", field=s.field.name)
        if not s.sortable:
            raise invalid(f"sort.{i}.field", "sort.field", field=k.field)
        expr = (
            s.expr
            if k.field in SYSTEM_FIELD_TYPES
            else s.field_type.sort_expression(s.field, s.expr)
        )
        exprs.append((expr, k.descending))
        if k.field not in SYSTEM_FIELD_TYPES:
            note_use(used, s, expr)
            if i == 0:
                note_use(sorted_by, s, expr)
                first_sort = bare_column(s, expr)
    if not keys or keys[-1].field != "id":
        last_desc = keys[-1].descending if keys else False
        keys = [*keys, SortKey("id", "desc" if last_desc else "asc")]
        exprs.append((t.c.id, last_desc))
    signature = sort_signature(schema.id, [(k.field, k.direction) for k in keys])

    count_select = sa.select(sa.func.count()).select_from(t).where(*where)
    count_reusable = reusable
    if cursor:
        values = decode_cursor(cursor, signature, len(exprs))
        where.append(seek_condition(exprs, values))

    labels = [f"_sort_{i}" for i in range(len(exprs))]
    order = [_order_by(e, d) for e, d in exprs]
    columns = record_columns(catalog, schema, chosen, clock)
    if any(f.is_formula for f in (schema.fields if chosen is None else chosen)):
        reusable = False  # a formula column may hold TODAY()/NOW(): computed at each query
    if any(schema.by_key[k.field].is_formula for k in keys if k.field in schema.by_key):
        reusable = False
    labelled = [*columns, *(e.label(lb) for (e, _), lb in zip(exprs, labels, strict=True))]
    # The row count is written into the SQL (a checked int), not bound: PostgreSQL costs a
    # prepared statement's generic plan with a bound LIMIT as if it fetched a tenth of the
    # table, and so re-plans a kept page at every run (a scoped page: about 0.2 ms).
    fetch = sa.literal_column(str(int(limit) + 1), sa.Integer)
    if owners is not None and extra_where is not None and sorted_by:
        select = _per_owner_page(t, labelled, where, scope_at, order, exprs, labels, owners, fetch)
    else:
        select = sa.select(*labelled).where(*where).order_by(*order).limit(fetch)
    return QueryPlan(
        select,
        count_select,
        limit,
        keys,
        labels,
        signature,
        used,
        reusable,
        sorted_by,
        count_reusable=count_reusable,
        shape=notes.shape(first_sort),
        related_used=related_used,
    )
