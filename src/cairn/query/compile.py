"""Filter trees and sorts → one SQLAlchemy Select over a record table.

``compile_filter`` turns a filter tree into a boolean expression; ``build_select`` makes the
page query (filter, multi-key sort with blanks last ascending / first descending, keyset cursor,
limit) and its count query. Everything is pushed down to SQL; nothing is filtered in Python.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from cairn.core import Clock, Invalid
from cairn.formula import FormulaError
from cairn.meta import BadValue, Field, FieldType
from cairn.meta.fieldtypes.formula import operator_stand_in
from cairn.query.expand import (
    field_expression,
    lookup_linked,
    record_columns,
    relation_linked,
)
from cairn.query.formula import compile_text, environment, formula_compiled
from cairn.query.operators import (
    BadShape,
    DayRange,
    Linked,
    OpContext,
    OperatorRegistry,
    builtin_operators,
)
from cairn.query.paging import decode_cursor, encode_cursor, seek_condition, sort_signature
from cairn.query.relative_dates import utc_bounds
from cairn.query.sargable import where_clause
from cairn.query.tree import (
    Condition,
    FormulaNode,
    Group,
    Node,
    Not,
    SortKey,
    invalid,
    parse_filter,
    parse_sort,
)
from cairn.store import fastread
from cairn.store.catalog import Catalog, TableSchema

#: System columns a filter or sort may name, with the field type they behave as.
SYSTEM_FIELD_TYPES = {
    "id": "number",
    "version": "number",
    "created_at": "datetime",
    "updated_at": "datetime",
    "created_by": "user",
    "owner_id": "user",
}
MAX_LIMIT = 1000
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EMPTY_OPS = frozenset({"is_empty", "is_not_empty"})
_DAY_OPS = frozenset({"eq", "ne", "lt", "lte", "gt", "gte", "between"})

_default_operators: OperatorRegistry | None = None


def default_operators() -> OperatorRegistry:
    """The built-in operators (a constant registry, built on first use)."""
    global _default_operators
    if _default_operators is None:
        _default_operators = builtin_operators()
    return _default_operators


#: Operators that compile to equality or a range on the column: what a B-tree index serves.
INDEX_OPS = frozenset(
    {
        "eq", "in", "lt", "lte", "gt", "gte", "between",
        "today", "yesterday", "last_n_days", "next_n_days", "this_week", "this_month", "this_year",
    }
)  # fmt: skip


#: What a sensitive (encrypted) field can be filtered by: equality on its blind index.
SENSITIVE_OPS = frozenset({"eq", "ne", "in", "not_in", "is_empty", "is_not_empty"})


def sensitive_target(catalog: Catalog, schema: TableSchema, f: Field) -> Field | None:
    """The sensitive field ``f`` is or shows (a lookup of one), None when it shows none."""
    if f.sensitive and f.id in schema.sealers:
        return f
    if f.is_lookup:
        target = catalog.all_fields.get(int(f.options.get("target_field_id") or 0))
        if target is not None and target.sensitive:
            return target
    return None


#: Operators whose SQL holds bounds computed from the clock.
CLOCK_OPS = frozenset(
    {"today", "yesterday", "last_n_days", "next_n_days", "this_week", "this_month", "this_year"}
)


def _note_use(used: dict[int, str], s: Subject, expr: Any = None) -> None:
    """Remember a stored field whose bare column a filter or sort used (an index would serve)."""
    f, ft = s.field, s.field_type
    if f.id and ft.indexed and ft.stored and s.linked is None:
        column = s.expr if expr is None else expr
        if isinstance(column, sa.Column) and column.name == f.column_name:
            used[f.id] = f.column_name


@dataclass(frozen=True)
class Subject:
    """What a filter or sort names: a field (or system column) and how to read it in SQL."""

    key: str
    field: Field
    field_type: FieldType
    expr: sa.ColumnElement[Any]
    value_type: str
    linked: Linked | None
    sortable: bool


def resolve(
    catalog: Catalog, schema: TableSchema, key: str, loc: str, source: Any = None, clock: Any = None
) -> Subject:
    source = schema.sa_table if source is None else source
    if key in SYSTEM_FIELD_TYPES:
        ft = catalog.field_types.get(SYSTEM_FIELD_TYPES[key])
        pseudo = Field(id=0, table_id=schema.id, key=key, name=key, type=ft.key)
        return Subject(key, pseudo, ft, source.c[key], ft.value_type, None, True)
    f = schema.by_key.get(key)
    if f is None:
        raise invalid(loc, "field.unknown", key=key)
    ft = schema.types[f.id]
    if f.is_relation:
        linked = relation_linked(catalog, f, source)
        return Subject(key, f, ft, source.c.id, "relation", linked, False)
    if f.is_formula:
        pseudo = operator_stand_in(f)
        borrowed = catalog.field_types.get(pseudo.type)
        expr = field_expression(catalog, schema, f, source, clock=clock)
        return Subject(key, pseudo, borrowed, expr, borrowed.value_type, None, True)
    if f.is_lookup:
        linked = lookup_linked(catalog, schema, f, source)
        expr = field_expression(catalog, schema, f, source)
        return Subject(key, f, ft, expr, ft.value_type, linked, False)
    if ft.stored or f.is_computed:
        expr = field_expression(catalog, schema, f, source)
        sortable = ft.sortable and f.id not in schema.sealers
        return Subject(key, f, ft, expr, ft.value_type, None, sortable)
    return Subject(key, f, ft, sa.null(), ft.value_type, None, False)


def _operand(catalog: Catalog, schema: TableSchema, s: Subject) -> Callable[[Any], Any]:
    """How this subject's operands are coerced; rollups take numbers (or the target's values
    for min and max)."""
    f, ft = s.field, s.field_type
    if f.is_rollup:
        function = f.options.get("function", "count")
        if function in ("min", "max"):
            target_field = _rollup_target(catalog, schema, f)
            if target_field is not None:
                tschema = catalog.schema(target_field.table_id)
                return tschema.types[target_field.id].operand(target_field, catalog.ctx)
        number = catalog.field_types.get("number")
        pseudo = Field(
            id=0, table_id=schema.id, key=f.key, name=f.key, type="number", options={"decimals": 8}
        )
        return number.operand(pseudo, catalog.ctx)
    return ft.operand(f, catalog.ctx)


def _rollup_target(catalog: Catalog, schema: TableSchema, f: Field) -> Field | None:
    target_id = f.options.get("target_field_id")
    if not target_id:
        return None
    target = catalog.all_fields.get(int(target_id))
    return target if target is not None and target.deleted_at is None else None


def _day_aware(operand: Callable[[Any], Any], tz: Any) -> Callable[[Any], Any]:
    """A date alone, given for a datetime, means that whole local day."""

    def coerce(value: Any) -> Any:
        if isinstance(value, str) and _DATE_ONLY.match(value.strip()):
            try:
                day = date.fromisoformat(value.strip())
            except ValueError:
                raise BadValue("value.datetime") from None
            return DayRange(*utc_bounds(day, day + timedelta(days=1), tz))
        return operand(value)

    return coerce


def _bindable(value: Any) -> Any:
    """Decimals travel with a Numeric type so SQLite (no native decimal) accepts them."""
    if isinstance(value, Decimal):
        return sa.literal(value, sa.Numeric(38, 10))
    if isinstance(value, str) and "\x00" in value:
        # PostgreSQL text cannot hold NUL; such a value (an unknown option) matches nothing.
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_bindable(v) for v in value]
    return value


class FilterCompiler:
    def __init__(
        self,
        catalog: Catalog,
        schema: TableSchema,
        clock: Clock,
        operators: OperatorRegistry | None = None,
        source: Any = None,
    ) -> None:
        self.catalog = catalog
        self.schema = schema
        self.clock = clock
        self.operators = operators or default_operators()
        self.source = schema.sa_table if source is None else source
        #: field id -> column of the stored fields compared in a way an index serves.
        self.used: dict[int, str] = {}
        #: Whether the SQL depends on the clock (relative dates): such a plan is not reused.
        self.clock_dependent = False

    def compile(self, node: Node) -> sa.ColumnElement[bool]:
        if isinstance(node, Group):
            parts = [self.compile(c) for c in node.children]
            if node.kind == "and":
                return sa.and_(sa.true(), *parts) if parts else sa.true()
            return sa.or_(sa.false(), *parts) if parts else sa.false()
        if isinstance(node, Not):
            return sa.not_(self.compile(node.child))
        if isinstance(node, FormulaNode):
            return self.formula(node)
        return self.condition(node)

    def formula(self, node: FormulaNode) -> sa.ColumnElement[bool]:
        self.clock_dependent = True  # TODAY()/NOW() put the clock's date into the SQL

        f = compile_text(self.catalog, self.schema, node.text, node.loc)
        if f.type.kind not in ("boolean", "number", "blank"):
            raise FormulaError("formula.not_boolean", f.tree.span, node.loc)
        if f.type.kind == "boolean":
            # Comparisons of fields with constants: the plain condition, same rows, faster.
            today = environment(self.catalog, self.clock).today
            fast = where_clause(self.schema, self.source, f.typed, today)
            if fast is not None:
                return fast
        if f.type.kind == "number":
            f = compile_text(self.catalog, self.schema, f"({node.text}) <> 0", node.loc)
        value, error = formula_compiled(
            self.catalog, self.schema, f, self.source, self.clock, node.loc
        )
        truth = sa.func.coalesce(value, sa.false())
        return truth if error is None else sa.and_(error.is_(None), truth)

    def condition(self, c: Condition) -> sa.ColumnElement[bool]:
        s = resolve(self.catalog, self.schema, c.field, f"{c.loc}.field", self.source, self.clock)
        if c.op not in s.field_type.operators or c.op not in self.operators:
            raise invalid(
                f"{c.loc}.op", "filter.operator", op=c.op, type=s.field.type, field=c.field
            )
        op = self.operators.get(c.op)
        operand = _operand(self.catalog, self.schema, s)
        expr = s.expr
        secret = sensitive_target(self.catalog, self.schema, s.field)
        if secret is not None:
            if c.op not in SENSITIVE_OPS or (s.linked is not None and c.op not in EMPTY_OPS):
                raise invalid(
                    f"{c.loc}.op", "filter.sensitive_operator", op=c.op, field=secret.name
                )
            if s.linked is None:
                # The encrypted column means nothing to SQL: compare blind indexes.
                sealer = self.schema.sealers[s.field.id]
                inner = operand

                def operand(v: Any) -> Any:
                    return sealer.index(inner(v))

                expr = self.source.c[s.field.index_column_name]
        if s.value_type == "datetime" and c.op in _DAY_OPS:
            operand = _day_aware(operand, self.catalog.ctx.timezone)
        try:
            value = op.prepare(c.value, c.has_value, operand)
        except BadShape:
            raise invalid(f"{c.loc}.value", "filter.value", op=c.op, expected=op.expected) from None
        except BadValue as e:
            raise Invalid("invalid.input", {f"{c.loc}.value": [e.message]}) from None
        ctx = OpContext(
            value_type=s.value_type,
            timezone=self.catalog.ctx.timezone,
            clock=self.clock,
            field_key=c.field,
            linked=s.linked,
        )
        if c.op in INDEX_OPS and secret is None:
            _note_use(self.used, s)
        if c.op in CLOCK_OPS or s.field.is_formula:
            self.clock_dependent = True
        return op.compile(expr, _bindable(value), ctx)


def compile_filter(
    catalog: Catalog,
    schema: TableSchema,
    tree: Any,
    clock: Clock,
    *,
    operators: OperatorRegistry | None = None,
) -> sa.ColumnElement[bool]:
    """A filter tree (JSON or parsed) as a boolean expression over ``schema.sa_table``;
    ``true()`` when there is no filter."""
    node = parse_filter(tree)
    if node is None:
        return sa.true()
    return FilterCompiler(catalog, schema, clock, operators).compile(node)


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
    reusable = extra_where is None or extra_where_reusable
    node = parse_filter(filter)
    if node is not None:
        compiler = FilterCompiler(catalog, schema, clock, operators)
        where.append(compiler.compile(node))
        used = compiler.used
        reusable = reusable and not compiler.clock_dependent
    scope_at = len(where)
    if extra_where is not None:
        where.append(extra_where)

    keys = parse_sort(sort)
    sorted_by: dict[int, str] = {}
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
            _note_use(used, s, expr)
            if i == 0:
                _note_use(sorted_by, s, expr)
    if not keys or keys[-1].field != "id":
        last_desc = keys[-1].descending if keys else False
        keys = [*keys, SortKey("id", "desc" if last_desc else "asc")]
        exprs.append((t.c.id, last_desc))
    signature = sort_signature(schema.id, [(k.field, k.direction) for k in keys])

    count_select = sa.select(sa.func.count()).select_from(t).where(*where)
    if cursor:
        values = decode_cursor(cursor, signature, len(exprs))
        where.append(seek_condition(exprs, values))

    labels = [f"_sort_{i}" for i in range(len(exprs))]
    order = [e.desc().nulls_first() if d else e.asc().nulls_last() for e, d in exprs]
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
        select, count_select, limit, keys, labels, signature, used, reusable, sorted_by
    )
