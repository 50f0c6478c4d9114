"""Syntax tree → formula text. ``parse(to_text(tree)) == tree`` for every tree."""

from __future__ import annotations

from cairn.formula.ast import (
    PRECEDENCE,
    UNARY_PRECEDENCE,
    Binary,
    Bool,
    Call,
    FieldRef,
    Node,
    Number,
    Text,
    Unary,
)


def _number(value: float) -> str:
    if value == int(value) and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def _prec(node: Node) -> int:
    if isinstance(node, Binary):
        return PRECEDENCE[node.op]
    if isinstance(node, Unary):
        return UNARY_PRECEDENCE
    return 99


def to_text(node: Node) -> str:
    """The formula for ``node``, with the parentheses precedence needs and no others."""
    if isinstance(node, Number):
        return _number(node.value)
    if isinstance(node, Text):
        return '"' + node.value.replace('"', '""') + '"'
    if isinstance(node, Bool):
        return "TRUE" if node.value else "FALSE"
    if isinstance(node, FieldRef):
        return "{" + node.name + "}"
    if isinstance(node, Call):
        return node.name + "(" + ", ".join(to_text(a) for a in node.args) + ")"
    if isinstance(node, Unary):
        inner = to_text(node.operand)
        if _prec(node.operand) < UNARY_PRECEDENCE:
            inner = f"({inner})"
        return node.op + inner
    p = PRECEDENCE[node.op]
    left, right = to_text(node.left), to_text(node.right)
    if _prec(node.left) < p:
        left = f"({left})"
    if _prec(node.right) <= p:
        right = f"({right})"
    return f"{left} {node.op} {right}"
