"""The formula syntax tree: frozen dataclasses. Source spans are kept but not compared, so a
tree printed and parsed again equals the original."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Span:
    """Where a node is in the source: 0-based offsets, with the 1-based line and column of start."""

    start: int = 0
    end: int = 0
    line: int = 1
    column: int = 1


NO_SPAN = Span()


@dataclass(frozen=True)
class Number:
    value: float
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True)
class Text:
    value: str
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True)
class Bool:
    value: bool
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True)
class FieldRef:
    """``{name}``: a field of the record by name or key, or ``{relation.field}``."""

    name: str
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True)
class Call:
    name: str  # upper case
    args: tuple[Node, ...]
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True)
class Unary:
    op: str  # "-" or "+"
    operand: Node
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True)
class Binary:
    op: str  # + - * / ^ & = <> < <= > >=
    left: Node
    right: Node
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


Node = Number | Text | Bool | FieldRef | Call | Unary | Binary

#: Binding strength of binary operators (higher binds tighter); all are left-associative.
PRECEDENCE = {
    "=": 1,
    "<>": 1,
    "<": 1,
    "<=": 1,
    ">": 1,
    ">=": 1,
    "&": 2,
    "+": 3,
    "-": 3,
    "*": 4,
    "/": 4,
    "^": 5,
}
UNARY_PRECEDENCE = 6


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    return ()


def walk(node: Node) -> list[Node]:
    """Every node, parents before children (iterative: no recursion limit)."""
    out: list[Node] = []
    stack = [node]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(reversed(children(n)))
    return out


def field_names(node: Node) -> list[str]:
    """The distinct ``{...}`` names the formula refers to, in order of appearance."""
    return list(dict.fromkeys(n.name for n in walk(node) if isinstance(n, FieldRef)))


def rename_fields(node: Node, rename: Callable[[str], str]) -> Node:
    """The tree with every ``{name}`` replaced by ``{rename(name)}`` (keys ↔ ``#id``)."""
    if isinstance(node, FieldRef):
        return replace(node, name=rename(node.name))
    if isinstance(node, Call):
        return replace(node, args=tuple(rename_fields(a, rename) for a in node.args))
    if isinstance(node, Unary):
        return replace(node, operand=rename_fields(node.operand, rename))
    if isinstance(node, Binary):
        return replace(
            node, left=rename_fields(node.left, rename), right=rename_fields(node.right, rename)
        )
    return node
