"""Text: CONCAT, LEFT, RIGHT, MID, LEN, UPPER, LOWER, TRIM, SUBSTITUTE, FIND, CONTAINS (TEXT and
VALUE: ``text_format``).

Positions and lengths count characters (not bytes); a fractional count is truncated; a
negative count is #VALUE!. UPPER and LOWER change the letters A-Z only (so every database
agrees); FIND and CONTAINS are case-sensitive.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from cairn.formula import runtime as rt
from cairn.formula.env import Environment, SqlEnvironment
from cairn.formula.functions.base import Function
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
)
