"""Text from numbers and dates and back: TEXT(value, format), VALUE(text).

A number format is "0", "0.00" (up to 8 decimals), with "#,##" for thousands and "%" for a
percentage; a date format is made of yyyy yy mm m dd d hh h nn ss and other characters.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from cairn.formula import runtime as rt
from cairn.formula.convert import py_number, sql_number
from cairn.formula.env import Environment, SqlEnvironment
from cairn.formula.functions.base import CallInfo, Function
from cairn.formula.functions.text import TextFunction
from cairn.formula.sqlkit import TEXT, Compiled
from cairn.formula.types import NUMBER, Type
from cairn.formula.types import TEXT as TEXT_T

_NUMBER_FORMAT = re.compile(r"(#,##)?0(\.0{1,8})?(%)?")
_DATE_TOKENS = re.compile(r"yyyy|yy|mm|m|dd|d|hh|h|nn|ss|[^ymdhns]+", re.IGNORECASE)


def parse_text_format(fmt: str) -> tuple[str, Any] | None:
    """("number", (decimals, thousands, percent)) or ("date", [tokens]) or None."""
    m = _NUMBER_FORMAT.fullmatch(fmt)
    if m:
        decimals = len(m.group(2)) - 1 if m.group(2) else 0
        return "number", (decimals, bool(m.group(1)), bool(m.group(3)))
    if fmt and re.search(r"[ymdhs]", fmt, re.IGNORECASE) and len(fmt) <= 40:
        tokens = _DATE_TOKENS.findall(fmt)
        if "".join(tokens) == fmt:
            return "date", tokens
    return None


def _date_token_py(tok: str, v: Any) -> str:
    low = tok.lower()
    hour = getattr(v, "hour", 0)
    minute = getattr(v, "minute", 0)
    second = getattr(v, "second", 0)
    return {
        "yyyy": f"{v.year:04d}",
        "yy": f"{v.year % 100:02d}",
        "mm": f"{v.month:02d}",
        "m": str(v.month),
        "dd": f"{v.day:02d}",
        "d": str(v.day),
        "hh": f"{hour:02d}",
        "h": str(hour),
        "nn": f"{minute:02d}",
        "ss": f"{second:02d}",
    }.get(low, tok)


class TextFormat(TextFunction):
    """A number or date as text in a format ("0.00", "#,##0", "0%", "yyyy-mm-dd")."""

    key = "TEXT"
    zh = "格式化文本"
    params = ("any", "literal")
    signature = (
        'TEXT(value, format)  — "0.00", "#,##0", "0%", "yyyy-mm-dd", "yyyy年m月d日", "hh:nn"'
    )
    example = 'TEXT(1234.5, "#,##0.00")'
    example_result = '"1,234.50"'

    def result(self, call: CallInfo) -> Type:
        fmt = parse_text_format(call.literals[1])
        t = call.types[0]
        if fmt is None:
            raise call.fail("formula.text_format", 1, format=call.literals[1])
        if fmt[0] == "number" and t.kind not in ("number", "boolean", "blank", "text"):
            raise call.fail("formula.arg_type.number", 0, n=1)
        if fmt[0] == "date" and t.kind not in ("date", "datetime", "blank"):
            raise call.fail("formula.arg_type.date", 0, n=1)
        return TEXT_T

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        value, fmt_text = args
        kind, spec = parse_text_format(fmt_text)  # type: ignore[misc]
        if kind == "number":
            x = py_number(value)
            if isinstance(x, rt.ErrorValue):
                return x
            return rt.format_number(x, *spec)
        if value is None:
            return ""
        return "".join(_date_token_py(tok, value) for tok in spec)

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        k = env.dialect
        kind, spec = parse_text_format(_literal_of(args[1]))  # type: ignore[misc]
        if kind == "number":
            x = sql_number(args[0], types[0], env)
            decimals, thousands, percent = spec
            if k.pg:
                d = k.num15(x.value)
                if percent:
                    d = d * 100
                q = sa.func.round(d, decimals)
                q = sa.case((q == 0, sa.func.abs(q)), else_=q)
                text = sa.cast(q, TEXT)
                if thousands:
                    sign = sa.case((q < 0, "-"), else_="")
                    body = sa.cast(sa.func.abs(q), TEXT)
                    whole = sa.func.split_part(body, ".", 1)
                    frac = sa.func.split_part(body, ".", 2)
                    grouped = sa.func.regexp_replace(whole, r"(\d)(?=(\d{3})+$)", r"\1,", "g")
                    text = k.concat(
                        sign,
                        grouped,
                        sa.case((frac == "", ""), else_=k.concat(sa.literal("."), frac)),
                    )
                if percent:
                    text = k.concat(text, sa.literal("%"))
            else:
                text = sa.func.cairn_format(x.value, decimals, int(thousands), int(percent))
            return Compiled(sa.type_coerce(text, TEXT), x.error)
        v = args[0].value
        if types[0].kind == "blank":
            return Compiled(k.lit("", TEXT))
        pieces = [_date_token_sql(tok, v, k) for tok in spec]
        out = sa.case((v.is_(None), ""), else_=k.concat(*pieces))
        return Compiled(sa.type_coerce(out, TEXT))


def _literal_of(c: Compiled) -> str:
    return str(c.literal)


def _pad(x: Any, width: int, k: Any) -> Any:
    if k.pg:
        return sa.func.lpad(sa.cast(x, TEXT), width, "0")
    return sa.func.printf(f"%0{width}d", x)


def _date_token_sql(tok: str, v: Any, k: Any) -> Any:
    low = tok.lower()
    parts = {
        "yyyy": ("year", 4),
        "yy": ("year", 2),
        "mm": ("month", 2),
        "m": ("month", 0),
        "dd": ("day", 2),
        "d": ("day", 0),
        "hh": ("hour", 2),
        "h": ("hour", 0),
        "nn": ("minute", 2),
        "ss": ("second", 2),
    }
    if low not in parts:
        return sa.literal(tok, TEXT)
    what, width = parts[low]
    x = k.part(what, v)
    if low == "yy":
        x = x % 100
    if width == 0:
        return sa.cast(x, TEXT)
    return _pad(x, width, k)


class Value(Function):
    """A text as a number (#VALUE! when it is not one)."""

    key = "VALUE"
    zh = "转为数字"
    category = "text"
    params = ("text",)
    returns = NUMBER
    signature = "VALUE(text)"
    example = 'VALUE("12.5")'
    example_result = "12.5"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return rt.text_number(args[0]) if args[0] != "" else rt.VALUE

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        got = sql_number(Compiled(args[0].value), TEXT_T, env)
        return Compiled(got.value, got.error)


FUNCTIONS = (TextFormat, Value)
