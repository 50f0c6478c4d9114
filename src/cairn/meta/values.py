"""Small pure helpers over field values: JSON forms, comparison, lists of ids."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from cairn.core import is_id
from cairn.meta.fieldtypes.dates import dump_datetime


def json_value(v: Any) -> Any:
    """A column value as JSON when its field type has no dumper of its own."""
    if isinstance(v, Decimal):
        f = float(v)
        return int(f) if f.is_integer() else f
    if isinstance(v, datetime | date):
        return v.isoformat()
    return v


def identity(v: Any) -> Any:
    return v


def dump_time(value: Any, tz: Any) -> str | None:
    """A timestamp as the API shows it (None stays None)."""
    return None if value is None else dump_datetime(value, tz)


def same(a: Any, b: Any) -> bool:
    """Is a written value the stored one (``1 == True`` is a change; ``1 == 1.0`` is not)?"""
    if a is None or b is None:
        return a is b
    try:
        return (a == b and type(a) is type(b)) or (a == b and not isinstance(a, bool))
    except TypeError:
        return False


def listed(v: Any) -> list[Any]:
    """A value as a list: None → ``[]``, a list as it is, anything else in a list of one."""
    return [] if v is None else v if isinstance(v, list) else [v]


def ids_in(v: Any) -> list[int]:
    """The record or user ids a relation or user value holds (a masked one holds none)."""
    return [i for i in listed(v) if is_id(i)]


def id_ranges(ids: Sequence[int]) -> list[list[int]]:
    """``[1, 2, 3, 7, 9, 10]`` → ``[[1, 3], [7, 7], [9, 10]]``: a bulk insert's ids, compactly."""
    ranges: list[list[int]] = []
    for i in sorted(ids):
        if ranges and i == ranges[-1][1] + 1:
            ranges[-1][1] = i
        else:
            ranges.append([i, i])
    return ranges
