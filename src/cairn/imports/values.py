"""A cell as the input its field's own coercer takes: the import-friendly forms.

The field types (``cairn.meta.fieldtypes``) take what the API sends: ISO dates, plain
numbers, option values. A spreadsheet holds what people type: ``2024年3月5日``,
``2024/3/5``, an Excel serial day number, ``¥12,800.00``, ``是``, an option's label in
other case or width. ``friendly`` turns these into the API form and leaves the checking
to the field's coercer (so every rule of the type, and the identity keys, apply).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from cairn.meta import Field

#: Day 0 of Excel's 1900 date system (with its 29 February 1900 that never was).
EXCEL_EPOCH = datetime(1899, 12, 30)
#: Serial day numbers read as dates: 1900-01-01 … 9999-12-31.
SERIAL_RANGE = (1, 2958465)

_DATE = re.compile(
    r"^\s*(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?|(\d{2})(\d{2}))"
    r"(?:[\sT]+(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2}))?(?:\.\d+)?\s*秒?)?\s*$"
)
#: Thousands separators, currency signs and units a number cell may carry.
_NUMBER_NOISE = re.compile(r"[\s,，_'¥￥$€£]|元|RMB|CNY|人民币", re.IGNORECASE)
_TRUE = frozenset({"√", "✓", "✔", "有", "是的", "已", "t"})
_FALSE = frozenset({"×", "✗", "✘", "无", "没有", "未", "f"})
_SPLIT = re.compile(r"[,，;；、|\n]")


def fold(text: str) -> str:
    """Text as compared when matched by name: full-width folded (NFKC), case-folded,
    without spaces, underscores and common punctuation."""
    t = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s_\-:：()（）\[\]【】*./]", "", t)


def excel_date(serial: float) -> datetime | None:
    """An Excel serial day number (1900 system) as a datetime; None outside the calendar."""
    if not SERIAL_RANGE[0] <= serial <= SERIAL_RANGE[1]:
        return None
    return EXCEL_EPOCH + timedelta(days=serial)


def _parts(text: str) -> tuple[date, time | None] | None:
    m = _DATE.match(text)
    if m is None:
        return None
    y, mo, d, compact_m, compact_d, hh, mm, ss = m.groups()
    month, day = (int(mo), int(d)) if mo else (int(compact_m), int(compact_d))
    try:
        day_ = date(int(y), month, day)
        at = time(int(hh), int(mm), int(ss or 0)) if hh is not None else None
    except ValueError:
        return None
    return day_, at


def as_date(cell: Any) -> Any:
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        dt = excel_date(cell)
        return dt.date().isoformat() if dt is not None else cell
    if isinstance(cell, str):
        p = _parts(cell)
        if p is not None:
            return p[0].isoformat()
        serial = _serial_text(cell)
        if serial is not None:
            return serial.date().isoformat()
    return cell


def as_datetime(cell: Any) -> Any:
    if isinstance(cell, datetime):
        return cell.replace(microsecond=0).isoformat()
    if isinstance(cell, date):
        return datetime(cell.year, cell.month, cell.day).isoformat()
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        dt = excel_date(cell)
        return dt.replace(microsecond=0).isoformat() if dt is not None else cell
    if isinstance(cell, str):
        p = _parts(cell)
        if p is not None:
            return datetime.combine(p[0], p[1] or time()).isoformat()
        serial = _serial_text(cell)
        if serial is not None:
            return serial.replace(microsecond=0).isoformat()
    return cell


def _serial_text(text: str) -> datetime | None:
    """A serial day number written as text (a CSV saved from a sheet with unformatted dates)."""
    t = text.strip()
    if not re.fullmatch(r"\d{4,7}(?:\.\d+)?", t):
        return None
    return excel_date(float(t))


def as_number(cell: Any) -> Any:
    if isinstance(cell, float):
        return Decimal(repr(cell)) if cell == cell else cell
    if isinstance(cell, str):
        t = unicodedata.normalize("NFKC", cell)
        t = _NUMBER_NOISE.sub("", t)
        if t.startswith("(") and t.endswith(")"):  # accounting: (1,200) is -1200
            t = "-" + t[1:-1]
        return t
    return cell


def as_percent(cell: Any) -> Any:
    if isinstance(cell, str):
        t = as_number(cell.replace("％", "%"))
        return t
    return as_number(cell)


def as_text(cell: Any) -> Any:
    if type(cell) is str:  # every CSV cell
        return cell.strip()
    if isinstance(cell, float) and cell.is_integer() and abs(cell) < 2**53:
        return str(int(cell))  # a phone number stored as a number: 13800138000.0
    if isinstance(cell, int | float | Decimal) and not isinstance(cell, bool):
        return str(cell)
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ")
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, str):
        return cell.strip()
    return cell


def as_boolean(cell: Any) -> Any:
    if isinstance(cell, str):
        t = unicodedata.normalize("NFKC", cell).strip().casefold()
        if t in _TRUE:
            return True
        if t in _FALSE:
            return False
        return t
    return cell


def choice_reader(field: Field, many: bool) -> Callable[[Any], Any]:
    """Options matched by their value (the label people see) or id, ignoring case, width
    and spaces; several separated by commas, 、 or semicolons."""
    by_fold: dict[str, str] = {}
    for c in field.options.get("choices", []):
        by_fold.setdefault(fold(str(c["value"])), c["value"])
        by_fold.setdefault(fold(str(c["id"])), c["id"])

    def one(v: Any) -> Any:
        t = as_text(v)
        return by_fold.get(fold(t), t) if isinstance(t, str) else t

    def read(cell: Any) -> Any:
        if not many:
            return one(cell)
        if isinstance(cell, str):
            return [one(p) for p in _SPLIT.split(cell) if p.strip()]
        return [one(cell)]

    return read


def friendly(field: Field, value_type: str) -> Callable[[Any], Any]:
    """The reader of ``field``'s cells (users and relations are named: ``rows`` looks them
    up, per batch). Readers of columns whose cells repeat (options, yes/no, dates, amounts)
    remember their answers for the job (``remembered``)."""
    if field.is_single_select:
        return remembered(choice_reader(field, many=False))
    if field.is_multi_select:
        return choice_reader(field, many=True)  # a list: each row gets its own
    if field.holds_percent:
        return remembered(as_percent)
    read = _BY_VALUE_TYPE.get(value_type, as_text)
    return read if read is as_text else remembered(read)


#: Distinct cell texts a reader remembers (then it reads the others each time).
REMEMBER = 4096
_MISSING = object()


def remembered(read: Callable[[Any], Any], size: int = REMEMBER) -> Callable[[Any], Any]:
    """``read`` with its answers for text cells remembered: a column of three tiers or a few
    hundred dates over a million rows is read (normalised, folded, parsed) once per distinct
    text. Only for readers whose answers are immutable (text, numbers as text, booleans)."""
    memo: dict[str, Any] = {}

    def cached(cell: Any) -> Any:
        if type(cell) is not str:
            return read(cell)
        hit = memo.get(cell, _MISSING)
        if hit is _MISSING:
            hit = read(cell)
            if len(memo) < size:
                memo[cell] = hit
        return hit

    return cached


_BY_VALUE_TYPE: dict[str, Callable[[Any], Any]] = {
    "date": as_date,
    "datetime": as_datetime,
    "number": as_number,
    "currency": as_number,
    "rating": as_number,
    "boolean": as_boolean,
    "text": as_text,
}


def is_empty(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())
