"""Filter trees → one boolean SQL expression over a record table.

``FilterCompiler`` compiles a parsed tree (conditions, groups, NOT, formulas), noting the stored
fields an index would serve and whether the SQL depends on the clock; ``compile_filter`` is the
one-call form.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from cairn.core import Clock, Invalid
from cairn.formula import FormulaError
from cairn.meta import BadValue, Field
from cairn.query.formula import compile_text, environment, formula_compiled
from cairn.query.linked_filters import lookup_target
from cairn.query.operators import (
    BadShape,
    DayRange,
    Linked,
    OpContext,
    OperatorRegistry,
    builtin_operators,
)
from cairn.query.relative_dates import utc_bounds
from cairn.query.sargable import where_clause
from cairn.query.subjects import Subject, bare_column, note_use, resolve, sensitive_target
from cairn.query.tag_filter import LIST_OPS, TAG_OPS, TAGS_FIELD, tag_values, tags_linked
from cairn.query.tree import (
    Condition,
    FormulaNode,
    Group,
    Node,
    Not,
    invalid,
    parse_filter,
)
from cairn.store.catalog import Catalog, TableSchema
from cairn.store.index_shapes import ShapeNotes

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


#: Operators a composite index serves as a range after its equality columns.
RANGE_OPS = INDEX_OPS - {"eq", "in"}
#: Text searches no B-tree index serves (``LIKE '%x%'``; SQLite's LIKE ignores case).
SEARCH_OPS = frozenset({"contains", "starts_with"})
NEGATION_OPS = frozenset({"ne", "not_in"})


#: Through a lookup, these select the records with no linked value equal to (or among) the
#: operand: NOT EXISTS of the positive operator, so a record without links matches as a blank.
LINKED_NEGATIONS = {"ne": "eq", "not_in": "in"}


#: What a sensitive (encrypted) field can be filtered by: equality on its blind index.
SENSITIVE_OPS = frozenset({"eq", "ne", "in", "not_in", "is_empty", "is_not_empty"})


#: Operators whose SQL holds bounds computed from the clock.
CLOCK_OPS = frozenset(
    {"today", "yesterday", "last_n_days", "next_n_days", "this_week", "this_month", "this_year"}
)


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
        #: The same for other tables' fields compared through a lookup: table id -> used.
        self.related_used: dict[int, dict[int, str]] = {}
        #: Whether the SQL depends on the clock (relative dates): such a plan is not reused.
        self.clock_dependent = False
        #: The query's shape for composite indexes (``store.index_shapes``).
        self.notes = ShapeNotes()
        #: Whether the node being compiled is reached from the root through ANDs only.
        self._conjunct = True

    def compile(self, node: Node) -> sa.ColumnElement[bool]:
        if isinstance(node, Group):
            if node.kind == "or" and len(node.children) > 1:
                return self._apart("or", lambda: sa.or_(*map(self.compile, node.children)))
            parts = [self.compile(c) for c in node.children]
            if node.kind == "and":
                return sa.and_(sa.true(), *parts) if parts else sa.true()
            return sa.or_(sa.false(), *parts) if parts else sa.false()
        if isinstance(node, Not):
            return self._apart("negation", lambda: sa.not_(self.compile(node.child)))
        if isinstance(node, FormulaNode):
            return self.formula(node)
        return self.condition(node)

    def _apart(
        self, reason: str, build: Callable[[], sa.ColumnElement[bool]]
    ) -> sa.ColumnElement[bool]:
        """Compile an OR group or a NOT: what it compares is not part of the query's shape."""
        self.notes.unserved.append(reason)
        outer, self._conjunct = self._conjunct, False
        try:
            return build()
        finally:
            self._conjunct = outer

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
        self.notes.unserved.append("formula")
        if f.type.kind == "number":
            f = compile_text(self.catalog, self.schema, f"({node.text}) <> 0", node.loc)
        value, error = formula_compiled(
            self.catalog, self.schema, f, self.source, self.clock, node.loc
        )
        truth = sa.func.coalesce(value, sa.false())
        return truth if error is None else sa.and_(error.is_(None), truth)

    def condition(self, c: Condition) -> sa.ColumnElement[bool]:
        if c.field == TAGS_FIELD:
            return self.tagged(c)
        s = resolve(self.catalog, self.schema, c.field, f"{c.loc}.field", self.source, self.clock)
        if s.field.is_lookup and c.op not in EMPTY_OPS and s.linked is not None:
            return self.looked_up(c, s.linked)
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
            note_use(self.used, s)
        self._note_shape(c.op, s, secret is not None)
        if c.op in CLOCK_OPS or s.field.is_formula:
            self.clock_dependent = True
        return op.compile(expr, _bindable(value), ctx)

    def tagged(self, c: Condition) -> sa.ColumnElement[bool]:
        """A condition on the record's tags (``cairn.query.tag_filter``): EXISTS semi-joins on
        ``record_tags``."""
        if c.op not in TAG_OPS or c.op not in self.operators:
            raise invalid(f"{c.loc}.op", "filter.operator", op=c.op, type="tags", field=c.field)
        op = self.operators.get(c.op)
        value: list[int] | None = None
        if c.op in LIST_OPS:
            value = tag_values(c.value) if c.has_value else None
            if value is None:
                raise invalid(f"{c.loc}.value", "filter.value", op=c.op, expected=op.expected)
        elif c.has_value and c.value not in (None, "", []):
            raise invalid(f"{c.loc}.value", "filter.value", op=c.op, expected=op.expected)
        ctx = OpContext(
            value_type="tags",
            timezone=self.catalog.ctx.timezone,
            clock=self.clock,
            field_key=c.field,
            linked=tags_linked(self.schema, self.source),
        )
        return op.compile(self.source.c.id, value, ctx)

    def looked_up(self, c: Condition, linked: Linked) -> sa.ColumnElement[bool]:
        """A lookup compared by its looked-up value: EXISTS a linked live record whose field
        satisfies the condition (a semi-join the database drives from the junction's and the
        target's indexes); ``ne`` / ``not_in``: NOT EXISTS of ``eq`` / ``in``."""
        target = lookup_target(linked)
        base = LINKED_NEGATIONS.get(c.op, c.op)
        if target is None or base not in target.operators or base not in self.operators:
            kind = "lookup" if target is None else target.field.type
            raise invalid(f"{c.loc}.op", "filter.operator", op=c.op, type=kind, field=c.field)
        if target.sensitive:
            raise invalid(
                f"{c.loc}.op", "filter.sensitive_operator", op=c.op, field=target.field.name
            )
        op = self.operators.get(base)
        operand = target.operand(self.catalog.ctx)
        if target.value_type == "datetime" and base in _DAY_OPS:
            operand = _day_aware(operand, self.catalog.ctx.timezone)
        try:
            value = _bindable(op.prepare(c.value, c.has_value, operand))
        except BadShape:
            raise invalid(f"{c.loc}.value", "filter.value", op=c.op, expected=op.expected) from None
        except BadValue as e:
            raise Invalid("invalid.input", {f"{c.loc}.value": [e.message]}) from None
        ctx = OpContext(
            value_type=target.value_type,
            timezone=self.catalog.ctx.timezone,
            clock=self.clock,
            field_key=c.field,
        )
        if base in CLOCK_OPS:
            self.clock_dependent = True
        if base in INDEX_OPS and target.indexed:
            self.related_used.setdefault(target.schema.id, {})[target.field.id] = target.column
        found = linked.exists(lambda _tid, column: op.compile(column, value, ctx))
        return sa.not_(found) if c.op in LINKED_NEGATIONS else found

    def _note_shape(self, op: str, s: Subject, secret: bool) -> None:
        if s.field.is_formula or op in SEARCH_OPS or op in NEGATION_OPS:
            reason = "formula" if s.field.is_formula else "contains"
            self.notes.unserved.append("negation" if op in NEGATION_OPS else reason)
            return
        column = bare_column(s)
        if not self._conjunct or secret or column is None:
            return
        if op == "eq":
            self.notes.eq.append(column)
        elif op in RANGE_OPS:
            self.notes.ranges.append(column)


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
