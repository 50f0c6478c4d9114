"""Value rules shared by the Python evaluator and the SQLite functions (one implementation).

Numbers are IEEE doubles. Where Excel works in decimal (ROUND, a number shown as text), the
number is first taken to 15 significant digits, as Excel and PostgreSQL's ``float8::numeric`` do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Context, Decimal
from typing import Any

#: Magnitudes a product, quotient or power may reach; beyond is #NUM!, below (not 0) is 0.
HUGE = 1e300
TINY = 1e-300
#: The longest text that converts to a number.
MAX_NUMBER_TEXT = 200
_NUMBER_TEXT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,2})?")
_CTX = Context(prec=800, Emax=999_999, Emin=-999_999)
DATE_MIN = date(1, 1, 1)
DATE_MAX = date(9999, 12, 31)


@dataclass(frozen=True)
class ErrorValue:
    """An Excel error value; it propagates through every operator and function."""

    code: str

    def __str__(self) -> str:
        return self.code


DIV0 = ErrorValue("#DIV/0!")
VALUE = ErrorValue("#VALUE!")
NUM = ErrorValue("#NUM!")
ERRORS = {e.code: e for e in (DIV0, VALUE, NUM)}


def num15(x: float) -> Decimal:
    """The number to 15 significant digits, exactly as PostgreSQL's float8 → numeric."""
    if x == 0:
        return Decimal(0)
    return Decimal(f"{x:.15g}")


def number_text(x: float) -> str:
    """A number as text: 15 significant digits, plain decimal notation ("0.1", "1", "100")."""
    d = num15(x)
    return "0" if d == 0 else format(d, "f")


def text_number(s: str) -> float | ErrorValue:
    """Text as a number ("2" → 2, " -1.5 " → -1.5); anything else is #VALUE!."""
    t = s.strip(" ")
    if len(t) > MAX_NUMBER_TEXT or not _NUMBER_TEXT.fullmatch(t):
        return VALUE
    return float(t)


def round_number(x: float, digits: float, mode: str) -> float:
    """ROUND (half away from zero), ROUNDUP (away from zero), ROUNDDOWN (towards zero)."""
    n = clamp_int(digits, -300, 300)
    rounding = {"half": ROUND_HALF_UP, "up": ROUND_UP, "down": ROUND_DOWN}[mode]
    d = num15(x).quantize(Decimal(1).scaleb(-n), rounding=rounding, context=_CTX)
    return float(d)


def clamp_int(x: float, lo: int, hi: int) -> int:
    """A number truncated towards zero and kept within [lo, hi]."""
    if x != x:  # pragma: no cover - NaN never reaches here
        return lo
    return int(max(lo, min(hi, x)))


def decimal_sum(values: list[float]) -> float:
    """The exact sum of the numbers (each to 15 digits), as a double: order does not matter."""
    total = Decimal(0)
    for v in values:
        total = _CTX.add(total, num15(v))
    return float(total)


def trim_spaces(s: str) -> str:
    """Excel TRIM: no leading or trailing spaces, single spaces inside."""
    return re.sub(" +", " ", s.strip(" "))


def fold(s: str) -> str:
    """Case folding for comparisons: the letters A-Z only, so every back end agrees."""
    return s.translate(_FOLD)


_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_UNFOLD = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def upper(s: str) -> str:
    return s.translate(_UNFOLD)


def days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - date(year, month, 1)).days


def add_months(d: date, months: int) -> date | ErrorValue:
    """``d`` moved by whole months; the day is kept within the month (Jan 31 + 1 → Feb 28/29)."""
    total = d.year * 12 + d.month - 1 + months
    year, month0 = divmod(total, 12)
    if not 1 <= year <= 9999:
        return NUM
    day = min(d.day, days_in_month(year, month0 + 1))
    return date(year, month0 + 1, day)


def add_days(d: date, days: int) -> date | ErrorValue:
    try:
        out = d + timedelta(days=days)
    except OverflowError:
        return NUM
    return out


def as_datetime(v: date | datetime) -> datetime:
    if isinstance(v, datetime):
        return v
    return datetime(v.year, v.month, v.day)


def as_date(v: date | datetime) -> date:
    return v.date() if isinstance(v, datetime) else v


EPOCH = datetime(1970, 1, 1)


def epoch_seconds(v: date | datetime) -> int:
    dt = as_datetime(v)
    return (dt - EPOCH).days * 86400 + (dt - EPOCH).seconds


def from_epoch(seconds: int) -> datetime | ErrorValue:
    try:
        out = EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        return NUM
    if not DATE_MIN <= out.date() <= DATE_MAX:  # pragma: no cover - timedelta keeps the range
        return NUM
    return out


def to_text(value: Any) -> str:
    """Any scalar as text (for ``&`` and CONCAT)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float | int):
        return number_text(float(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def group_thousands(digits: str) -> str:
    out = []
    for i, ch in enumerate(reversed(digits)):
        if i and i % 3 == 0:
            out.append(",")
        out.append(ch)
    return "".join(reversed(out))


def format_number(x: float, decimals: int, thousands: bool, percent: bool) -> str:
    """TEXT(number, "0.00" | "#,##0.00" | "0%" ...): rounded half away from zero."""
    d = num15(x)
    if percent:
        d = _CTX.multiply(d, Decimal(100))
    q = d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP, context=_CTX)
    if q == 0:
        q = abs(q)
    text = format(q, "f")
    if thousands:
        sign = "-" if text.startswith("-") else ""
        body = text.lstrip("-")
        whole, _, frac = body.partition(".")
        text = sign + group_thousands(whole) + ("." + frac if frac else "")
    return text + ("%" if percent else "")
