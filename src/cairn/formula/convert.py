"""Converting a value to what a parameter or operator needs, in Python and in SQL alike.

- to number: blank → 0, TRUE/FALSE → 1/0, text → its number ("2" → 2) or #VALUE!;
- to text: blank → "", numbers with up to 15 significant digits, TRUE/FALSE, ISO dates;
- to boolean: blank → FALSE, a number is TRUE unless 0;
- to date/datetime: a datetime's date, a date's midnight.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from cairn.formula import runtime as rt
from cairn.formula.env import SqlEnvironment
from cairn.formula.sqlkit import (
    BOOL,
    DATE_T,
    DATETIME_T,
    FLOAT,
    TEXT,
    Compiled,
    first_error,
    is_constant,
    operand,
)
from cairn.formula.types import Type

NUMBER_PATTERN = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,2})?$"


# -- Python --------------------------------------------------------------------------------
def py_number(v: Any, blank: Any = 0.0) -> Any:
    if v is None:
        return blank
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, str):
        return rt.text_number(v)
    return float(v)


def py_text(v: Any, blank: Any = "") -> Any:
    if v is None:
        return blank
    return rt.to_text(v)


def py_bool(v: Any) -> bool:
    if v is None:
        return False
    if isinstance(v, bool):
        return v
    return float(v) != 0


def py_convert(v: Any, kind: str) -> Any:
    if isinstance(v, rt.ErrorValue):
        return v
    if kind == "number":
        return py_number(v)
    if kind == "number?":
        return py_number(v, None)
    if kind == "numbers":
        return v if isinstance(v, list) else py_number(v, None)
    if kind == "text":
        return py_text(v)
    if kind == "boolean":
        return py_bool(v)
    if kind == "date?":
        return None if v is None else rt.as_date(v)
    if kind == "datetime?":
        return None if v is None else rt.as_datetime(v)
    return v


# -- SQL -----------------------------------------------------------------------------------
def sql_number(c: Compiled, t: Type, env: SqlEnvironment, blank_zero: bool = True) -> Compiled:
    d = env.dialect
    v = c.value
    zero = d.lit(0.0, FLOAT)
    if t.kind in ("number", "duration"):
        if not blank_zero or is_constant(v):
            return Compiled(v, c.error)
        return Compiled(sa.func.coalesce(v, zero), c.error)
    if t.kind == "blank":
        return Compiled(zero if blank_zero else d.null(FLOAT), c.error)
    if t.kind == "boolean":
        v = operand(v)
        out = sa.case((v, 1.0), (sa.not_(v), 0.0), else_=0.0 if blank_zero else None)
        return Compiled(sa.type_coerce(out, FLOAT), c.error)
    if t.kind == "text":
        if d.pg:
            trimmed = sa.func.btrim(v, " ")
            ok = sa.and_(
                trimmed.op("~")(sa.cast(sa.literal(NUMBER_PATTERN), TEXT)),
                sa.func.length(trimmed) <= rt.MAX_NUMBER_TEXT,
            )
            parsed = sa.case((ok, sa.cast(sa.case((ok, trimmed), else_=None), FLOAT)), else_=None)
        else:
            parsed = sa.func.cairn_number(v, type_=FLOAT)
        value = sa.case((v.is_(None), 0.0 if blank_zero else None), else_=parsed)
        bad = sa.case(
            (sa.and_(v.is_not(None), parsed.is_(None)), sa.literal_column("'#VALUE!'", TEXT)),
            else_=None,
        )
        return Compiled(sa.type_coerce(value, FLOAT), first_error(c.error, bad))
    raise TypeError(f"no number from {t}")  # pragma: no cover - the type checker forbids it


def sql_text(c: Compiled, t: Type, env: SqlEnvironment, blank_empty: bool = True) -> Compiled:
    d = env.dialect
    v = c.value
    empty = d.lit("", TEXT)
    if t.kind == "text":
        out = v
    elif t.kind == "blank":
        return Compiled(empty if blank_empty else d.null(TEXT), c.error)
    elif t.kind in ("number", "duration"):
        out = sa.cast(d.num15(v), TEXT) if d.pg else sa.func.cairn_text(v, type_=TEXT)
    elif t.kind == "boolean":
        v = operand(v)
        out = sa.case((v, "TRUE"), (sa.not_(v), "FALSE"), else_=None)
    elif t.kind == "date":
        out = sa.func.to_char(v, "YYYY-MM-DD") if d.pg else v
    elif t.kind == "datetime":
        out = sa.func.to_char(v, "YYYY-MM-DD HH24:MI:SS") if d.pg else v
    else:  # pragma: no cover
        raise TypeError(f"no text from {t}")
    out = sa.type_coerce(out, TEXT)
    return Compiled(sa.func.coalesce(out, empty) if blank_empty else out, c.error)


def sql_bool(c: Compiled, t: Type, env: SqlEnvironment) -> Compiled:
    v = c.value
    if t.kind == "boolean":
        return Compiled(sa.func.coalesce(v, env.dialect.lit(False, BOOL)), c.error)
    if t.kind == "blank":
        return Compiled(env.dialect.lit(False, BOOL), c.error)
    return Compiled(sa.func.coalesce(v, 0.0) != 0.0, c.error)


def sql_date(c: Compiled, t: Type, env: SqlEnvironment) -> Compiled:
    if t.kind == "datetime":
        return Compiled(env.dialect.datetime_to_date(c.value), c.error)
    if t.kind == "blank":
        return Compiled(env.dialect.null(DATE_T), c.error)
    return c


def sql_datetime(c: Compiled, t: Type, env: SqlEnvironment) -> Compiled:
    if t.kind == "date":
        return Compiled(env.dialect.date_to_datetime(c.value), c.error)
    if t.kind == "blank":
        return Compiled(env.dialect.null(DATETIME_T), c.error)
    return c


def sql_convert(c: Compiled, t: Type, kind: str, env: SqlEnvironment) -> Compiled:
    if kind == "number":
        return sql_number(c, t, env)
    if kind == "number?" or (kind == "numbers" and not t.is_list):
        return sql_number(c, t, env, blank_zero=False)
    if kind == "text":
        return sql_text(c, t, env)
    if kind == "boolean":
        return sql_bool(c, t, env)
    if kind == "date?":
        return sql_date(c, t, env)
    if kind == "datetime?":
        return sql_datetime(c, t, env)
    return c


def is_date(v: Any) -> bool:
    return isinstance(v, date) and not isinstance(v, datetime)
