"""Text: CONCAT, LEFT, RIGHT, MID, LEN, UPPER, LOWER, TRIM, SUBSTITUTE, FIND, CONTAINS, TEXT, VALUE.

Positions and lengths count characters (not bytes); a fractional count is truncated; a
negative count is #VALUE!. UPPER and LOWER change the letters A-Z only (so every database
agrees); FIND and CONTAINS are case-sensitive.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from cairn.formula import runtime as rt
from cairn.formula.convert import py_number, sql_number
from cairn.formula.env import Environment, SqlEnvironment
from cairn.formula.functions.base import CallInfo, Function
from cairn.formula.sqlkit import BOOL, FLOAT, TEXT, Compiled, when
from cairn.formula.types import BOOLEAN, NUMBER, Type
from cairn.formula.types import TEXT as TEXT_T

MAX_COUNT = 1_000_000


class TextFunction(Function):
    category = "text"
    returns = TEXT_T


class Concat(TextFunction):
    """Joins the texts into one (numbers and dates as text)."""

    key = "CONCAT"
    zh = "合并文本"
    params = ("text",)
    variadic = True
    signature = "CONCAT(text1, [text2, …])"
    example = 'CONCAT({city}, "-", {district})'

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return "".join(args)

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return Compiled(env.dialect.concat(*(a.value for a in args)))


def _count(n: float) -> int:
    return rt.clamp_int(n, -1, MAX_COUNT)


class Left(TextFunction):
    """The first characters of a text (one when the count is left out)."""

    key = "LEFT"
    zh = "左截取"
    params = ("text", "number")
    min_args = 1
    signature = "LEFT(text, [count])"
    example = 'LEFT("Cairn", 2)'
    example_result = '"Ca"'

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        n = _count(args[1]) if len(args) > 1 else 1
        if n < 0:
            return rt.VALUE
        return args[0][:n]

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        k = env.dialect
        n = k.trunc_int(args[1].value, -1, MAX_COUNT) if len(args) > 1 else sa.literal(1)
        value = sa.case((n < 0, None), else_=sa.func.substr(args[0].value, 1, k.greatest(n, 0)))
        return Compiled(sa.type_coerce(value, TEXT), when(n < 0, "#VALUE!"))


class Right(TextFunction):
    """The last characters of a text (one when the count is left out)."""

    key = "RIGHT"
    zh = "右截取"
    params = ("text", "number")
    min_args = 1
    signature = "RIGHT(text, [count])"
    example = 'RIGHT("Cairn", 3)'
    example_result = '"irn"'

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        n = _count(args[1]) if len(args) > 1 else 1
        if n < 0:
            return rt.VALUE
        return args[0][-n:] if n else ""

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        k = env.dialect
        n = k.trunc_int(args[1].value, -1, MAX_COUNT) if len(args) > 1 else sa.literal(1)
        s = args[0].value
        start = k.greatest(sa.func.length(s) - n + 1, 1)
        value = sa.case((n < 0, None), (n == 0, ""), else_=sa.func.substr(s, start))
        return Compiled(sa.type_coerce(value, TEXT), when(n < 0, "#VALUE!"))


class Mid(TextFunction):
    """The characters of a text from a position (1 is the first), count long."""

    key = "MID"
    zh = "中间截取"
    params = ("text", "number", "number")
    signature = "MID(text, start, count)"
    example = 'MID("Cairn CRM", 7, 3)'
    example_result = '"CRM"'

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        start, n = rt.clamp_int(args[1], 0, MAX_COUNT + 1), _count(args[2])
        if start < 1 or n < 0:
            return rt.VALUE
        return args[0][start - 1 : start - 1 + n]

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        k = env.dialect
        start = k.trunc_int(args[1].value, 0, MAX_COUNT + 1)
        n = k.trunc_int(args[2].value, -1, MAX_COUNT)
        bad = sa.or_(start < 1, n < 0)
        value = sa.case(
            (bad, None), else_=sa.func.substr(args[0].value, k.greatest(start, 1), k.greatest(n, 0))
        )
        return Compiled(sa.type_coerce(value, TEXT), when(bad, "#VALUE!"))


class Len(Function):
    """The number of characters of a text."""

    key = "LEN"
    zh = "长度"
    category = "text"
    params = ("text",)
    returns = NUMBER
    signature = "LEN(text)"
    example = 'LEN("客户关系")'
    example_result = "4"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return float(len(args[0]))

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return Compiled(sa.cast(sa.func.length(args[0].value), FLOAT))


class Upper(TextFunction):
    """The text in capitals (the letters a-z)."""

    key = "UPPER"
    zh = "大写"
    params = ("text",)
    signature = "UPPER(text)"
    example = 'UPPER("vip")'
    example_result = '"VIP"'

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return rt.upper(args[0])

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return Compiled(sa.type_coerce(env.dialect.unfold(args[0].value), TEXT))


class Lower(TextFunction):
    """The text in small letters (the letters A-Z)."""

    key = "LOWER"
    zh = "小写"
    params = ("text",)
    signature = "LOWER(text)"
    example = 'LOWER("VIP")'
    example_result = '"vip"'

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return rt.fold(args[0])

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return Compiled(sa.type_coerce(env.dialect.fold(args[0].value), TEXT))


class Trim(TextFunction):
    """The text without spaces at the start and end, and single spaces inside."""

    key = "TRIM"
    zh = "去除空格"
    params = ("text",)
    signature = "TRIM(text)"
    example = 'TRIM("  a   b ")'
    example_result = '"a b"'

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return rt.trim_spaces(args[0])

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        k = env.dialect
        if k.pg:
            value = sa.func.regexp_replace(sa.func.btrim(args[0].value, " "), " +", " ", "g")
        else:
            value = sa.func.cairn_trim(args[0].value)
        return Compiled(sa.type_coerce(value, TEXT))


class Substitute(TextFunction):
    """The text with every occurrence of one text replaced by another."""

    key = "SUBSTITUTE"
    zh = "替换"
    params = ("text", "text", "text")
    signature = "SUBSTITUTE(text, old, new)"
    example = 'SUBSTITUTE("2024-01-01", "-", "/")'
    example_result = '"2024/01/01"'

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        text, old, new = args
        return text if old == "" else text.replace(old, new)

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        text, old, new = (a.value for a in args)
        value = sa.case((old == "", text), else_=sa.func.replace(text, old, new))
        return Compiled(sa.type_coerce(value, TEXT))


class Find(Function):
    """The position of one text within another (1 is the first character), counting from start;
    #VALUE! when absent. Case-sensitive."""

    key = "FIND"
    zh = "查找位置"
    category = "text"
    params = ("text", "text", "number")
    min_args = 2
    returns = NUMBER
    signature = "FIND(find, within, [start])"
    example = 'FIND("-", "A-100")'
    example_result = "2"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        find, within = args[0], args[1]
        start = rt.clamp_int(args[2], 0, MAX_COUNT + 1) if len(args) > 2 else 1
        if start < 1 or start > len(within) + 1:
            return rt.VALUE
        pos = within.find(find, start - 1)
        return rt.VALUE if pos < 0 else float(pos + 1)

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        k = env.dialect
        find, within = args[0].value, args[1].value
        start = k.trunc_int(args[2].value, 0, MAX_COUNT + 1) if len(args) > 2 else sa.literal(1)
        bad_start = sa.or_(start < 1, start > sa.func.length(within) + 1)
        rel = k.instr(sa.func.substr(within, k.greatest(start, 1)), find)
        bad = sa.or_(bad_start, rel == 0)
        value = sa.case((bad, None), else_=sa.cast(rel + start - 1, FLOAT))
        return Compiled(sa.type_coerce(value, FLOAT), when(bad, "#VALUE!"))


class Contains(Function):
    """TRUE when the text contains the other text (case-sensitive)."""

    key = "CONTAINS"
    zh = "包含"
    category = "text"
    params = ("text", "text")
    returns = BOOLEAN
    signature = "CONTAINS(text, find)"
    example = 'CONTAINS({remark}, "加急")'

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return args[1] in args[0]

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return Compiled(sa.type_coerce(env.dialect.instr(args[0].value, args[1].value) > 0, BOOL))


# -- TEXT(value, format) -------------------------------------------------------------------
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


FUNCTIONS = (
    Concat,
    Left,
    Right,
    Mid,
    Len,
    Upper,
    Lower,
    Trim,
    Substitute,
    Find,
    Contains,
    TextFormat,
    Value,
)
