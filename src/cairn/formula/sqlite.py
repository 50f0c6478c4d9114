"""The SQLite functions formulas call where SQLite's own SQL cannot say what Python says.

``install(dbapi_connection)`` registers them (deterministic) on one sqlite3 connection; the
store calls it for every new connection. Each runs the same code as the Python back end.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from cairn.formula import runtime as rt
from cairn.formula.functions.date_math import py_datedif
from cairn.formula.functions.dates import py_make_date
from cairn.formula.functions.time_shift import py_add_months


def _number(value: Any) -> float | None:
    if value is None:
        return None
    got = rt.text_number(str(value))
    return None if isinstance(got, rt.ErrorValue) else got


def _text(value: Any) -> str | None:
    return None if value is None else rt.number_text(float(value))


def _round(value: Any, digits: Any, mode: str) -> float | None:
    if value is None:
        return None
    return rt.round_number(float(value), float(digits or 0), mode)


def _trim(value: Any) -> str | None:
    return None if value is None else rt.trim_spaces(str(value))


def _format(value: Any, decimals: int, thousands: int, percent: int) -> str | None:
    if value is None:
        return None
    return rt.format_number(float(value), int(decimals), bool(thousands), bool(percent))


def _date(text: Any) -> Any:
    if text is None:
        return None
    text = str(text)
    return datetime.fromisoformat(text) if len(text) > 10 else date.fromisoformat(text)


def _show(value: Any) -> Any:
    if value is None or isinstance(value, rt.ErrorValue):
        return None
    return rt.to_text(value)


def _make_date(y: Any, m: Any, d: Any) -> str | None:

    return _show(py_make_date(float(y), float(m), float(d)))


def _add_months(value: Any, months: Any) -> str | None:

    if value is None or months is None:
        return None
    return _show(py_add_months(_date(value), int(months)))


def _datedif(start: Any, end: Any, unit: str) -> float | None:

    if start is None or end is None:
        return None
    got = py_datedif(_date(start), _date(end), unit)
    return None if isinstance(got, rt.ErrorValue) else got


class _DecimalSum:
    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value: Any) -> None:
        if value is not None:
            self.values.append(float(value))

    def finalize(self) -> float:
        return rt.decimal_sum(self.values)


def install(dbapi_connection: Any) -> None:
    """Register the formula functions on a sqlite3 connection."""
    c = dbapi_connection
    c.create_function("cairn_number", 1, _number, deterministic=True)
    c.create_function("cairn_text", 1, _text, deterministic=True)
    c.create_function("cairn_round", 3, _round, deterministic=True)
    c.create_function("cairn_trim", 1, _trim, deterministic=True)
    c.create_function("cairn_format", 4, _format, deterministic=True)
    c.create_function("cairn_make_date", 3, _make_date, deterministic=True)
    c.create_function("cairn_add_months", 2, _add_months, deterministic=True)
    c.create_function("cairn_datedif", 3, _datedif, deterministic=True)
    c.create_aggregate("cairn_dsum", 1, _DecimalSum)
