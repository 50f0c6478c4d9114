"""SQL building blocks for the two dialects (SQLite and PostgreSQL), as SQLAlchemy expressions.

Every helper is *total*: for any input it yields a value or NULL, never a database error, so a
formula cannot make a query fail even when PostgreSQL folds constants before running it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import BindParameter, Cast

Expr = sa.ColumnElement[Any]

FLOAT = sa.Float()
TEXT = sa.Text()
BOOL = sa.Boolean()
DATE_T = sa.Date()
DATETIME_T = sa.DateTime()
INT = sa.BigInteger()
#: The SQL type of each formula value kind.
SA_TYPES: dict[str, sa.types.TypeEngine[Any]] = {
    "number": FLOAT,
    "duration": FLOAT,
    "text": TEXT,
    "boolean": BOOL,
    "date": DATE_T,
    "datetime": DATETIME_T,
    "blank": TEXT,
}


@dataclass(frozen=True)
class Compiled:
    """One formula value in SQL: ``value`` and ``error`` (an error code, NULL when fine).

    ``error`` is None when no error can occur, which keeps the SQL small.
    """

    value: Expr
    error: Expr | None = None
    #: The Python value when the argument is a literal (TEXT's format, DATEADD's unit).
    literal: Any = None


def code(error: str) -> Expr:
    """An error value as a constant (one of a fixed set, never user text)."""
    assert error in ("#DIV/0!", "#VALUE!", "#NUM!")
    return sa.literal_column(f"'{error}'", TEXT)


def first_error(*errors: Expr | None) -> Expr | None:
    present = [e for e in errors if e is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    return sa.func.coalesce(*present, type_=TEXT)


def operand(x: Expr) -> Expr:
    """``x`` in parentheses when it is made of parts (``a AND b``, ``a < b``), so that an
    operator put around it applies to all of it.

    SQLAlchemy adds those parentheses itself when it builds an expression directly around a
    compound one, but not through ``type_coerce()`` or an element it cannot see into: NOT of
    ``type_coerce(a AND b, Boolean)`` renders as ``NOT a AND b`` on PostgreSQL and as
    ``a AND b = 0`` on SQLite, so ``AND(FALSE, TRUE)`` shown as TRUE/FALSE came out blank
    (issue 14). Every value leaving the compiler, every argument put back into a bound call
    and every boolean turned into a number or text goes through here. A column, a function
    call or a CASE is returned as it is.
    """
    return x.self_group()


def when(cond: Expr, error: str) -> Expr:
    return sa.case((cond, code(error)), else_=sa.null())


def is_constant(expr: Any) -> bool:
    """A literal value that is not NULL (as ``Dialect.lit`` makes them): never blank."""
    inner = expr.clause if isinstance(expr, Cast) else expr
    return isinstance(inner, BindParameter) and inner.value is not None


class Dialect:
    """The differences between SQLite and PostgreSQL the formula compiler needs."""

    def __init__(self, name: str) -> None:
        if name not in ("sqlite", "postgresql"):
            raise ValueError(f"formulas compile for sqlite or postgresql, not {name}")
        self.name = name
        self.pg = name == "postgresql"

    # -- literals ---------------------------------------------------------------------------
    def lit(self, value: Any, type_: sa.types.TypeEngine) -> Expr:
        if self.pg:
            return sa.cast(sa.literal(value, type_), type_)
        if isinstance(type_, sa.Float):
            return sa.literal(float(value), type_)
        return sa.literal(value, type_)

    def null(self, type_: sa.types.TypeEngine) -> Expr:
        return sa.cast(sa.null(), type_) if self.pg else sa.type_coerce(sa.null(), type_)

    # -- numbers ----------------------------------------------------------------------------
    def float(self, x: Expr) -> Expr:
        return sa.cast(x, FLOAT)

    def trunc_int(self, x: Expr, lo: int, hi: int) -> Expr:
        """x truncated towards zero and kept within [lo, hi], as an integer."""
        clamped = self.greatest(self.least(x, float(hi)), float(lo))
        if self.pg:
            return sa.cast(sa.func.trunc(clamped), sa.Integer())
        return sa.cast(clamped, sa.Integer())

    def least(self, *xs: Any) -> Expr:
        return sa.func.least(*xs) if self.pg else sa.func.min(*xs)

    def greatest(self, *xs: Any) -> Expr:
        return sa.func.greatest(*xs) if self.pg else sa.func.max(*xs)

    def floor(self, x: Expr) -> Expr:
        """floor(x); SQLite's own floor is a Python function that fails on NULL."""
        if self.pg:
            return sa.func.floor(x)
        whole = sa.cast(x, sa.Integer())
        small = sa.type_coerce(whole - sa.case((x < whole, 1), else_=0), FLOAT)
        # Doubles of 2**52 and more are whole numbers already.
        return sa.type_coerce(
            sa.case((sa.func.abs(x) >= 4503599627370496.0, x), else_=small), FLOAT
        )

    def ln(self, x: Expr) -> Expr:
        """ln(x) for x > 0, NULL otherwise."""
        safe = sa.case((x > 0, x), else_=sa.null())
        return sa.func.ln(safe)

    def num15(self, x: Expr) -> Expr:
        """PostgreSQL only: the double to 15 significant digits, as numeric."""
        return sa.cast(x, sa.Numeric())

    # -- text -------------------------------------------------------------------------------
    def concat(self, *xs: Expr) -> Expr:
        out = xs[0]
        for x in xs[1:]:
            out = out.op("||")(x)
        return sa.type_coerce(out, TEXT)

    def fold(self, x: Expr) -> Expr:
        """A-Z → a-z only (every back end agrees on that)."""
        if self.pg:
            return sa.func.translate(x, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
        return sa.func.lower(x)

    def unfold(self, x: Expr) -> Expr:
        if self.pg:
            return sa.func.translate(x, "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        return sa.func.upper(x)

    def binary_text(self, x: Expr) -> Expr:
        """Text compared by code point (UTF-8 byte order) on both databases."""
        return x.collate("C") if self.pg else x

    def length(self, x: Expr) -> Expr:
        return sa.func.length(x)

    def instr(self, haystack: Expr, needle: Expr) -> Expr:
        return sa.func.strpos(haystack, needle) if self.pg else sa.func.instr(haystack, needle)

    # -- dates ------------------------------------------------------------------------------
    def date_to_datetime(self, d: Expr) -> Expr:
        if self.pg:
            return sa.cast(d, DATETIME_T)
        return sa.type_coerce(sa.func.datetime(d), DATETIME_T)

    def datetime_to_date(self, dt: Expr) -> Expr:
        if self.pg:
            return sa.cast(dt, DATE_T)
        return sa.type_coerce(sa.func.date(dt), DATE_T)

    def day_number(self, d: Expr) -> Expr:
        """Days since 0001-01-01 (day 0), as an integer."""
        if self.pg:
            return d - sa.cast(sa.literal(date(1, 1, 1), DATE_T), DATE_T)
        return sa.cast(sa.func.julianday(d) - 1721425.5, sa.Integer())

    def days_between(self, later: Expr, earlier: Expr) -> Expr:
        """``day_number(later) - day_number(earlier)``, as an integer (PostgreSQL subtracts
        dates directly: no per-row arithmetic against day 0)."""
        if self.pg:
            return later - earlier
        return self.day_number(later) - self.day_number(earlier)

    def from_day_number(self, n: Expr) -> Expr:
        """Day number (checked in range by the caller) → date."""
        if self.pg:
            return sa.type_coerce(sa.cast(sa.literal(date(1, 1, 1), DATE_T), DATE_T) + n, DATE_T)
        return sa.type_coerce(sa.func.date(n + 1721425.5), DATE_T)

    def epoch(self, dt: Expr) -> Expr:
        """Whole seconds since 1970-01-01 00:00:00."""
        if self.pg:
            return sa.cast(sa.func.floor(sa.extract("epoch", dt)), INT)
        return sa.func.unixepoch(dt)

    def from_epoch(self, seconds: Expr) -> Expr:
        if self.pg:
            base = sa.cast(sa.literal(datetime(1970, 1, 1), DATETIME_T), DATETIME_T)
            return sa.type_coerce(
                base + sa.func.make_interval(0, 0, 0, 0, 0, 0, seconds), DATETIME_T
            )
        return sa.type_coerce(sa.func.datetime(seconds, "unixepoch"), DATETIME_T)

    def part(self, what: str, d: Expr) -> Expr:
        """year, month, day, hour, minute, second, dow (0 = Sunday) as an integer."""
        if self.pg:
            return sa.cast(sa.extract(what, d), sa.Integer())
        fmt = {
            "year": "%Y",
            "month": "%m",
            "day": "%d",
            "hour": "%H",
            "minute": "%M",
            "second": "%S",
            "dow": "%w",
        }[what]
        return sa.cast(sa.func.strftime(fmt, d), sa.Integer())

    def make_date(self, year: Expr, month: Expr) -> Expr:
        """The first day of year/month (both checked in range by the caller)."""
        if self.pg:
            return sa.type_coerce(sa.func.make_date(year, month, 1), DATE_T)
        return sa.type_coerce(sa.func.printf("%04d-%02d-01", year, month), DATE_T)

    def days_in_month(self, year: Expr, month: Expr) -> Expr:
        first = self.make_date(year, month)
        if self.pg:
            nxt = sa.cast(first + sa.text("INTERVAL '1 month'"), DATE_T)
            return nxt - first
        return sa.cast(
            sa.func.julianday(first, "+1 month") - sa.func.julianday(first), sa.Integer()
        )
