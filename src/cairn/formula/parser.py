"""Text → syntax tree, with Lark (LALR). Never raises anything but ``FormulaError``.

The tree is built bottom-up by an inline transformer while Lark parses, so nothing recurses
over the input: a formula deeper than ``MAX_DEPTH`` or with more than ``MAX_NODES`` nodes is
refused where it crosses the limit, and a formula longer than ``MAX_LENGTH`` is refused before
parsing.
"""

from __future__ import annotations

import math
import threading
from functools import cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

from cairn.formula.ast import Binary, Bool, Call, FieldRef, Node, Number, Span, Text, Unary
from cairn.formula.errors import FormulaError

MAX_LENGTH = 4000
MAX_DEPTH = 40
MAX_NODES = 500
MAX_TEXT = 1000
#: Largest number literal (numbers beyond lose meaning and overflow products).
MAX_NUMBER = 1e300


def _span(tok: Token) -> Span:
    return Span(tok.start_pos or 0, tok.end_pos or 0, tok.line or 1, tok.column or 1)


def _join(a: Span, b: Span) -> Span:
    return Span(a.start, b.end, a.line, a.column)


def span_of(x: Any) -> Span:
    return _span(x) if isinstance(x, Token) else x.span


class _Build(Transformer):
    """Lark callbacks → AST nodes, counting nodes and depth as it goes."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes = 0
        self.depth: dict[int, int] = {}

    def _made(self, node: Node, *kids: Node) -> Node:
        self.nodes += 1
        depth = 1 + max((self.depth.get(id(k), 1) for k in kids), default=0)
        if self.nodes > MAX_NODES:
            raise FormulaError("formula.too_large", node.span, max=MAX_NODES)
        if depth > MAX_DEPTH:
            raise FormulaError("formula.too_deep", node.span, max=MAX_DEPTH)
        self.depth[id(node)] = depth
        self._keep.append(node)  # ids stay valid while the tree is built
        return node

    def transform_start(self) -> None:
        """Reset the counters for the next parse."""
        self.nodes = 0
        self.depth = {}
        self._keep: list[Node] = []

    @v_args(inline=True)
    def number(self, tok: Token) -> Node:
        value = float(tok)
        if not math.isfinite(value) or value > MAX_NUMBER:
            raise FormulaError("formula.number_too_large", _span(tok))
        return self._made(Number(value, _span(tok)))

    @v_args(inline=True)
    def string(self, tok: Token) -> Node:
        text = tok[1:-1].replace('""', '"')
        if len(text) > MAX_TEXT:
            raise FormulaError("formula.text_too_long", _span(tok), max=MAX_TEXT)
        return self._made(Text(text, _span(tok)))

    @v_args(inline=True)
    def field(self, tok: Token) -> Node:
        name = tok[1:-1].strip()
        if not name:
            raise FormulaError("formula.empty_field", _span(tok))
        return self._made(FieldRef(name, _span(tok)))

    @v_args(inline=True)
    def name(self, tok: Token) -> Node:
        upper = tok.upper()
        if upper in ("TRUE", "FALSE"):
            return self._made(Bool(upper == "TRUE", _span(tok)))
        raise FormulaError("formula.bare_name", _span(tok), name=str(tok))

    def call(self, items: list[Any]) -> Node:
        name_tok, _lpar, args, rpar = items
        args = tuple(args or ())
        node = Call(name_tok.upper(), args, _join(_span(name_tok), _span(rpar)))
        return self._made(node, *args)

    def arguments(self, items: list[Any]) -> tuple[Node, ...]:
        return tuple(x for x in items if not isinstance(x, Token))

    @v_args(inline=True)
    def group(self, lpar: Token, inner: Node, rpar: Token) -> Node:
        return inner

    @v_args(inline=True)
    def unary(self, op: Token, operand: Node) -> Node:
        return self._made(Unary(str(op), operand, _join(_span(op), operand.span)), operand)

    @v_args(inline=True)
    def binary(self, left: Node, op: Token, right: Node) -> Node:
        node = Binary(str(op), left, right, _join(left.span, right.span))
        return self._made(node, left, right)


@cache
def _grammar() -> str:
    return resources.files("cairn.formula").joinpath("grammar.lark").read_text(encoding="utf-8")


def _parser() -> tuple[Lark, _Build]:
    """One parser per thread: the inline transformer holds per-parse counters."""
    got = getattr(_local, "parser", None)
    if got is None:
        build = _Build()
        got = (Lark(_grammar(), parser="lalr", transformer=build, maybe_placeholders=True), build)
        _local.parser = got
    return got


_local = threading.local()


def parse(text: str) -> Node:
    """The syntax tree of ``text``, or a ``FormulaError`` saying where and why."""
    if not isinstance(text, str):
        raise FormulaError("formula.empty", Span())
    if len(text) > MAX_LENGTH:
        raise FormulaError("formula.too_long", Span(MAX_LENGTH, MAX_LENGTH), max=MAX_LENGTH)
    if not text.strip():
        raise FormulaError("formula.empty", Span())
    parser, build = _parser()
    build.transform_start()
    try:
        return parser.parse(text)
    except FormulaError:
        raise
    except UnexpectedEOF:
        raise FormulaError("formula.unexpected_end", Span(len(text), len(text))) from None
    except UnexpectedToken as e:
        tok = e.token
        if tok.type == "$END":
            raise FormulaError("formula.unexpected_end", Span(len(text), len(text))) from None
        raise FormulaError("formula.unexpected", _span(tok), token=str(tok)[:20]) from None
    except UnexpectedCharacters as e:
        pos = e.pos_in_stream or 0
        raise FormulaError(
            "formula.unexpected", Span(pos, pos + 1), token=text[pos : pos + 1]
        ) from None
    except LarkError:  # pragma: no cover - any other Lark failure is still a located error
        raise FormulaError("formula.unexpected", Span(), token="") from None
    finally:
        build.transform_start()
