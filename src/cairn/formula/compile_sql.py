"""The SQL back end: a typed tree → SQLAlchemy expressions for SQLite and PostgreSQL.

**How errors travel in SQL.** Every node compiles to two expressions: its value and its error
(a text column: NULL when fine, else the Excel error code such as ``'#DIV/0!'``). An operator's
error is the first error of its arguments (left to right, as Excel evaluates) or its own. A
formula field is read as two columns, ``f_<id>`` (the value, NULL on error) and
``f_<id>__error``; the record shows the error text in place of the value. A filter on a formula
matches a row only when the formula is TRUE without error.

Values never depend on the database: numbers are cast to double precision, text compares by
code point with A-Z folded, dates and datetimes are normalised (SQLite text 'YYYY-MM-DD' /
'YYYY-MM-DD HH:MM:SS'). Where SQLite has no way to say what Python says (15-digit decimal
rounding, number formatting, text to number) it calls a few deterministic functions that
``cairn.formula.sqlite.install`` registers on each connection; they run the same Python code.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite as sqlite_dialect

from cairn.formula.ast import Span
from cairn.formula.convert import sql_bool, sql_convert
from cairn.formula.env import SqlEnvironment
from cairn.formula.errors import FormulaError
from cairn.formula.functions.aggregates import ConditionalAggregate, SqlList
from cairn.formula.functions.base import LazyFunction
from cairn.formula.letbind import bind_call
from cairn.formula.resolve import Ref, SqlRelated, SqlSource
from cairn.formula.sqlkit import (
    BOOL,
    DATE_T,
    DATETIME_T,
    FLOAT,
    SA_TYPES,
    TEXT,
    Compiled,
    first_error,
    operand,
)
from cairn.formula.typecheck import Typed
from cairn.formula.types import Type

#: Functions that need the working-calendar table in SQL.
CALENDAR_FUNCTIONS = frozenset({"WORKDAY", "WORKDAYS"})
#: The most SQL nodes one formula may expand to (a guard against formulas whose SQL would be huge).
MAX_SQL_NODES = 200_000


def from_column(col: Any, t: Type | str, env: SqlEnvironment) -> Any:
    """A stored column as a formula value of type ``t``."""
    kind = t if isinstance(t, str) else t.kind
    k = env.dialect
    if kind in ("number", "duration"):
        return sa.cast(col, FLOAT)
    if kind == "datetime":
        offset = env.env.utc_offset
        if k.pg:
            shifted = col if not offset else col + sa.func.make_interval(0, 0, 0, 0, 0, 0, offset)
            return sa.type_coerce(sa.func.date_trunc("second", shifted), DATETIME_T)
        return sa.type_coerce(sa.func.datetime(col, f"{offset:+d} seconds"), DATETIME_T)
    if kind == "date":
        return sa.type_coerce(col, DATE_T) if not k.pg else sa.cast(col, DATE_T)
    if kind == "boolean":
        return sa.type_coerce(col, BOOL)
    return sa.type_coerce(col, TEXT)


class SqlCompiler:
    def __init__(self, env: SqlEnvironment) -> None:
        self.env = env
        #: Inside a conditional aggregate's condition: the columns of the related row it
        #: looks at, by relation key.
        self.rows: dict[str, SqlSource] = {}

    def ref(self, ref: Ref, source: SqlSource) -> Compiled:
        env = self.env
        if ref.row:
            col = self.rows[ref.relation or ""].column(ref.key)
            if isinstance(col, Compiled):
                return col
            return Compiled(from_column(col, ref.type, env))
        if ref.relation is None:
            if ref.whole_records:
                return Compiled(SqlList(source.related(ref.key)))  # type: ignore[arg-type]
            col = source.column(ref.key)
            if isinstance(col, Compiled):
                return col
            return Compiled(from_column(col, ref.type, env))
        rel = source.related(ref.relation)
        target = rel.source.column(ref.key)
        if isinstance(target, Compiled):
            target = target.value
        if ref.multiple:
            value = from_column(target, ref.type.elem or "text", env)
            return Compiled(SqlList(rel, value))  # type: ignore[arg-type]
        value = from_column(target, ref.type, env)
        sub = rel.select(value).order_by(rel.order).limit(1).scalar_subquery()
        return Compiled(sa.type_coerce(sub, SA_TYPES.get(ref.type.kind, TEXT)))

    def compile(self, t: Typed, source: SqlSource) -> Compiled:
        env = self.env
        fn = t.fn
        if fn is None:
            if t.ref is not None:
                return self.ref(t.ref, source)
            return Compiled(env.dialect.lit(t.literal, SA_TYPES[t.type.kind]), literal=t.literal)
        if fn.key in CALENDAR_FUNCTIONS and (
            env.calendar_table is None or env.env.calendar is None
        ):
            raise FormulaError("formula.no_calendar", t.node.span, function=fn.key)
        if isinstance(fn, ConditionalAggregate):
            return self.conditional(t, fn, source)
        types = tuple(a.type for a in t.args)
        args = [self.compile(a, source) for a in t.args]
        if isinstance(fn, LazyFunction):
            lazy = fn
            return bind_call(lambda xs: lazy.sql_lazy(xs, env, types), args, env.dialect.pg)
        kinds = t.kinds
        plain = fn

        def build(xs: list[Compiled]) -> Compiled:
            converted = []
            errors = []
            for a, ty, kind in zip(xs, types, kinds, strict=True):
                c = sql_convert(a, ty, kind, env) if not ty.is_list else a
                errors.append(c.error)
                converted.append(Compiled(c.value, None, a.literal))
            out = plain.sql(converted, env, types)
            return Compiled(out.value, first_error(*errors, out.error))

        return bind_call(build, args, env.dialect.pg)

    def conditional(self, t: Typed, fn: ConditionalAggregate, source: SqlSource) -> Compiled:
        """SUMIF and the like: the aggregate's subquery over the linked rows, with the
        condition (compiled over those rows) in its WHERE: TRUE and no error."""
        listed, cond = t.args
        lst = self.ref(listed.ref, source).value  # type: ignore[arg-type]
        assert isinstance(lst, SqlList)
        rel = lst.related
        relation = listed.ref.key if listed.ref.whole_records else listed.ref.relation  # type: ignore[union-attr]
        self.rows[relation or ""] = rel.source
        try:
            c = self.compile(cond, source)
        finally:
            del self.rows[relation or ""]
        truth = sql_bool(c, cond.type, self.env)
        where = truth.value if truth.error is None else sa.and_(truth.error.is_(None), truth.value)
        base = rel.select

        def select(*cols: Any) -> sa.Select[Any]:
            return base(*cols).where(where)

        kept = SqlList(SqlRelated(rel.source, select, rel.order), lst.value)
        return fn.sql_rows(kept, self.env, (listed.type,))


def expanded_size(expr: Any, limit: int) -> int:
    """How many nodes the SQL of ``expr`` has once rendered (shared parts counted each time
    they appear), stopping early past ``limit``. Iterative, memoised by identity."""
    sizes: dict[int, int] = {}
    stack: list[tuple[Any, bool]] = [(expr, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        kids = list(node.get_children())
        if done:
            sizes[key] = min(limit + 1, 1 + sum(sizes[id(c)] for c in kids))
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in kids if id(c) not in sizes)
    return sizes[id(expr)]


def _check_sqlite_parses(out: Compiled) -> None:
    """SQLite's parser refuses deeply nested SQL ("parser stack overflow") before it looks at
    any table: preparing the expression on an empty in-memory database tells exactly."""
    exprs = [out.value] + ([out.error] if out.error is not None else [])
    sql = ", ".join(str(e.compile(dialect=sqlite_dialect.dialect())) for e in exprs)
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("SELECT " + sql)
    except sqlite3.OperationalError as e:
        if "stack overflow" in str(e) or "too many" in str(e) or "too deep" in str(e):
            raise FormulaError("formula.too_complex", Span(0, 0)) from None
    except sqlite3.Error:
        pass  # unknown tables or missing parameters: it parsed
    finally:
        conn.close()


def compile_typed(
    t: Typed, source: SqlSource, env: SqlEnvironment, *, check_sqlite: bool = True
) -> Compiled:
    out = SqlCompiler(env).compile(t, source)
    if isinstance(out.value, SqlList):
        raise FormulaError("formula.list_result", t.node.span)
    # One operand each: the caller may put NOT, IS TRUE or = around them (see ``operand``).
    value = operand(sa.type_coerce(out.value, SA_TYPES.get(t.type.kind, TEXT)))
    error = operand(sa.type_coerce(out.error, TEXT)) if out.error is not None else None
    out = Compiled(value, error)
    total = expanded_size(out.value, MAX_SQL_NODES)
    if out.error is not None:
        total += expanded_size(out.error, MAX_SQL_NODES)
    if total > MAX_SQL_NODES:
        raise FormulaError("formula.too_complex", Span(0, 0))
    if check_sqlite and not env.dialect.pg:
        _check_sqlite_parses(out)
    return out
