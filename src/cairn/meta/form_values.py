"""A linkage rule's values between the API and its formulas: a value as the API shows it
read as a formula reads a stored one (``formula_value``), and a ``set`` formula's value as
the API takes it for its field (``input_value``). The browser converts alike
(``web/src/formula/linkage.ts``), so both must agree exactly."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from cairn.formula import Environment, ErrorValue
from cairn.formula import runtime as rt
from cairn.meta.form_model import Action

# ASCII digits only, and the whole text (``\Z``): as the browser's regular expressions read it.
_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATETIME = re.compile(
    r"^([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]+)?)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?\Z"
)


def formula_value(family: str, v: Any, utc_offset: int) -> Any:
    """A value as the API shows it → as a formula reads a stored value (a datetime as naive
    UTC). What does not parse is blank."""
    if v is None:
        return None
    if family == "number":
        if isinstance(v, bool):
            return None
        if isinstance(v, int | float):
            return float(v)
        if isinstance(v, str):
            got = rt.text_number(v)
            return None if isinstance(got, ErrorValue) else got
        return None
    if family in ("text", "choice"):
        return v if isinstance(v, str) else None
    if family == "boolean":
        return v if isinstance(v, bool) else None
    if family == "date":
        m = _DATE.match(v) if isinstance(v, str) else None
        return _date(*(int(x) for x in m.groups())) if m else None
    if family == "datetime":
        return parse_datetime(v, utc_offset) if isinstance(v, str) else None
    return None


def _date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def parse_datetime(text: str, utc_offset: int) -> datetime | None:
    """ISO 8601 (an offset or Z; none: local time) → naive UTC, whole seconds."""
    m = _DATETIME.match(text)
    if m is None:
        return None
    y, mo, d, h, mi = (int(x) for x in m.groups()[:5])
    sec = int(m.group(6) or 0)
    day = _date(y, mo, d)
    if day is None or h > 23 or mi > 59 or sec > 59:
        return None
    zone = m.group(7)
    if zone is None:
        offset = utc_offset
    elif zone == "Z":
        offset = 0
    else:
        digits = zone[1:].replace(":", "")
        offset = (int(digits[:2]) * 3600 + int(digits[2:]) * 60) * (1 if zone[0] == "+" else -1)
    try:
        utc = datetime(y, mo, d, h, mi, sec) - timedelta(seconds=offset)
        utc + timedelta(seconds=utc_offset)  # read back in local time, it is still a date
    except OverflowError:
        return None
    return utc


def input_value(action: Action, value: Any, env: Environment) -> Any:
    """A formula's value as the API takes it for the field a ``set`` fills (errors: blank)."""
    if value is None or isinstance(value, ErrorValue):
        return None
    family = action.family
    if family in ("text", "choice"):
        return value if isinstance(value, str) else rt.to_text(value)
    if family in ("number", "user"):
        x = float(value)
        if family == "number" and action.places is not None:
            x = rt.round_number(x, action.places, "half")
        if family == "user":
            return int(x) if x.is_integer() and 0 < x < 2**53 else None
        return int(x) if x.is_integer() and abs(x) < 2**53 else x
    if family == "boolean":
        return bool(value)
    if family == "date":
        return rt.as_date(value).isoformat()
    if family == "datetime":
        t = rt.as_datetime(value)
        sign = "+" if env.utc_offset >= 0 else "-"
        off = abs(env.utc_offset)
        zone = f"{sign}{off // 3600:02d}:{off % 3600 // 60:02d}"
        clock = f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
        return f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{clock}{zone}"
    return None
