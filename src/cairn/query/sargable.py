"""Formula filters the database can run as plain conditions.

A formula filter is compiled like any formula: every value a formula can see, blanks turned
into 0, errors carried along, the result wrapped in ``coalesce(…, false)``. That is exact, and
slow on a large table: the database evaluates the whole expression on every row and no index
applies. Most filters people write are simpler than that: comparisons of a field with a
constant, joined by AND and OR, such as ``AND({金额} > 500, DAYS(TODAY(), {签约日期}) > 30)``.

``where_clause`` turns such a formula into the condition a person would write by hand
(``CAST(amount AS FLOAT) > 500 AND signed_on <= '2026-10-24'``), with exactly the rows the
general compilation selects:

- a number field compared with a number: the field as the formula sees it (a float), and the
  blank case decided once: a blank counts as 0, so ``{amount} < 10`` also selects blanks;
- ``DAYS(TODAY(), {date})`` (or the other way round) compared with a number: a range on the
  date column, today being a constant of the query (formula filters are never cached across
  days); a blank date makes DAYS blank, which counts as 0 as above;
- AND and OR of those. Every part says what happens on a blank, so no part is ever NULL and
  the whole may be negated (a ``not`` filter node, a validation rule's check).

Anything else (NOT, other functions, fields through relations, text) returns None and the
caller compiles the formula in full. ``tests/query/test_sargable.py`` checks, on random
formulas and records on both databases, that both ways select the same rows.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from cairn.formula.sqlkit import FLOAT
from cairn.formula.typecheck import Typed
from cairn.query.formula import find_field
from cairn.store.catalog import TableSchema

COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
#: ``c op x`` is ``x FLIP[op] c``.
FLIP = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
#: Beyond this a float no longer holds every integer: leave such constants to the full path.
MAX_EXACT = 2.0**53


def where_clause(
    schema: TableSchema, source: Any, t: Typed, today: date
) -> sa.ColumnElement[bool] | None:
    """The condition selecting the rows where the boolean formula ``t`` is TRUE, or None when
    the formula is not of the simple kind (see the module's notes)."""
    return _Rewriter(schema, source, today).clause(t)


class _Rewriter:
    def __init__(self, schema: TableSchema, source: Any, today: date) -> None:
        self.schema = schema
        self.source = source
        self.today = today

    def clause(self, t: Typed) -> sa.ColumnElement[bool] | None:
        key = t.fn.key if t.fn is not None else None
        if key in ("AND", "OR") and t.args:
            parts = [self.clause(a) for a in t.args]
            if any(p is None for p in parts):
                return None
            return sa.and_(*parts) if key == "AND" else sa.or_(*parts)  # type: ignore[arg-type]
        if key in COMPARE and len(t.args) == 2:
            return self.comparison(key, t.args[0], t.args[1])
        return None

    def comparison(self, op: str, left: Typed, right: Typed) -> sa.ColumnElement[bool] | None:
        c = _number(right)
        if c is None:
            c, op = _number(left), FLIP[op]
            left = right
        if c is None or not abs(c) < MAX_EXACT:
            return None
        blank_matches = COMPARE[op](0.0, c)
        col = self.stored(left, "number")
        if col is not None:
            exact = _exact_constant(c, col)
            if exact is not None:  # the column as stored: no conversion per row
                return _with_blank(col, COMPARE[op](col, exact), blank_matches)
            return _with_blank(col, COMPARE[op](sa.cast(col, FLOAT), c), blank_matches)
        got = self.days_from_today(left)
        if got is not None:
            col, sign = got
            cond = _days_condition(col, self.today, op if sign > 0 else FLIP[op], sign * c)
            return _with_blank(col, cond, blank_matches)
        return None

    def stored(self, t: Typed, kind: str) -> Any:
        """The column of a field of this table that ``t`` refers to, when the column holds the
        field's formula value of ``kind`` as is (``FieldType.formula_column``)."""
        ref = t.ref
        if t.fn is not None or ref is None or ref.relation is not None or ref.whole_records:
            return None
        f = find_field(self.schema, ref.key)
        if f is None:
            return None
        ft = self.schema.types[f.id]
        if ft.formula_column != kind or not ft.stored:
            return None
        return self.source.c[f.column_name]

    def days_from_today(self, t: Typed) -> tuple[Any, int] | None:
        """``DAYS(TODAY(), {date})`` → (the date column, +1), the other way round −1:
        the formula's value is ``sign * (today - column)`` in days."""
        if t.fn is None or t.fn.key != "DAYS" or len(t.args) != 2:
            return None
        a, b = t.args
        if _is_today(a):
            col = self.stored(b, "date")
            return None if col is None else (col, 1)
        if _is_today(b):
            col = self.stored(a, "date")
            return None if col is None else (col, -1)
        return None


def _number(t: Typed) -> float | None:
    """The value of a number literal (negated ones too), else None."""
    if t.fn is None and t.ref is None and t.type.kind == "number" and t.literal is not None:
        v = t.literal
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None
    if t.fn is not None and t.fn.key == "NEG" and len(t.args) == 1:
        inner = _number(t.args[0])
        return None if inner is None else -inner
    return None


#: Below this, two numbers of at most ``MAX_PLACES`` decimals are never the same float.
SAFE_MAGNITUDE = 1e9
MAX_PLACES = 6


def _exact_constant(c: float, col: Any) -> Any:
    """``c`` as an exact decimal when comparing the stored column with it selects the same
    rows as comparing the column read as a float (what a formula does), else None.

    The column holds decimals of at most ``MAX_PLACES`` places (its scale) and so does ``c``
    (its shortest form): two such numbers that differ, differ by at least 10^-6, far more than
    a float's spacing below ``SAFE_MAGNITUDE``, so converting to float neither merges nor
    reorders a stored value and ``c``; beyond it a value is too far from ``c`` for rounding
    to matter."""
    scale = getattr(col.type, "scale", None) or 0
    if not abs(c) < SAFE_MAGNITUDE or scale > MAX_PLACES:
        return None
    d = Decimal(repr(c))
    exponent = d.as_tuple().exponent
    if not isinstance(exponent, int) or exponent < -MAX_PLACES:
        return None
    return sa.literal(d, sa.Numeric(38, MAX_PLACES))


def _is_today(t: Typed) -> bool:
    return t.fn is not None and t.fn.key == "TODAY" and not t.args


def _with_blank(col: Any, cond: Any, blank_matches: bool) -> sa.ColumnElement[bool]:
    """``cond`` decides the rows with a value (it is NULL on a blank); the blank case is
    spelled out, so the condition is never NULL and may be negated (``{"not": …}``, a
    validation rule that checks ``NOT formula``)."""
    return sa.or_(col.is_(None), cond) if blank_matches else sa.and_(col.is_not(None), cond)


def _days_condition(col: Any, today: date, op: str, c: float) -> Any:
    """The rows where ``today - col`` (a whole number of days, k) satisfies ``k op c``, as a
    range on ``col``. A bound beyond the calendar makes the range all or nothing."""
    if op == ">":  # k >= floor(c) + 1  ⇔  col <= today - (floor(c) + 1)
        return _at_most(col, _shift(today, math.floor(c) + 1))
    if op == ">=":
        return _at_most(col, _shift(today, math.ceil(c)))
    if op == "<":  # k <= ceil(c) - 1  ⇔  col >= today - (ceil(c) - 1)
        return _at_least(col, _shift(today, math.ceil(c) - 1))
    if op == "<=":
        return _at_least(col, _shift(today, math.floor(c)))
    day = _shift(today, int(c)) if c == math.floor(c) else None
    if op == "=":
        return col == day if isinstance(day, date) else sa.false()
    return col != day if isinstance(day, date) else sa.true()


def _shift(today: date, days: int) -> date | str:
    """``today - days``, or "before"/"after" when that falls outside the calendar."""
    try:
        return today - timedelta(days=days)
    except OverflowError:
        return "before" if days > 0 else "after"


def _at_most(col: Any, bound: date | str) -> Any:
    if isinstance(bound, date):
        return col <= bound
    return sa.false() if bound == "before" else sa.true()


def _at_least(col: Any, bound: date | str) -> Any:
    if isinstance(bound, date):
        return col >= bound
    return sa.true() if bound == "before" else sa.false()
