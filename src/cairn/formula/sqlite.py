"""The SQLite functions formulas call where SQLite's own SQL cannot say what Python says.

``install(dbapi_connection)`` registers them (deterministic) on one sqlite3 connection; the
store calls it for every new connection. Each runs the same code as the Python back end.
"""

from __future__ import annotations

from typing import Any

from cairn.formula import runtime as rt


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
    c.create_aggregate("cairn_dsum", 1, _DecimalSum)
