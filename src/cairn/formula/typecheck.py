"""Syntax tree + ``Resolver`` → typed tree, or a located ``FormulaError``.

Operators are functions too (``+`` is the function with key "+"), so both back ends walk one
shape: literals, references and calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cairn.formula.ast import Binary, Bool, Call, FieldRef, Node, Number, Text, Unary
from cairn.formula.errors import FormulaError
from cairn.formula.functions.base import ACCEPTS, EXPECTS, CallInfo, Function, FunctionRegistry
from cairn.formula.resolve import Ref, Resolver
from cairn.formula.types import BLANK, BOOLEAN, NUMBER, TEXT, Type, list_of


@dataclass(eq=False)
class Typed:
    node: Node
    type: Type
    args: tuple[Typed, ...] = ()
    fn: Function | None = None
    literal: Any = None
    ref: Ref | None = None
    #: The parameter kind each argument is converted to before the call.
    kinds: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_literal(self) -> bool:
        return self.fn is None and self.ref is None


def resolve_ref(node: FieldRef, resolver: Resolver) -> Ref:
    name = node.name
    f = resolver.field(name)
    if f is not None:
        if f.refused:
            raise FormulaError(f.refused, node.span, name=name)
        if f.relation:
            return Ref(f.key, list_of("record"), None, True, True)
        return Ref(f.key, f.type)
    if "." in name:
        head, _, tail = name.partition(".")
        rel = resolver.field(head.strip())
        if rel is not None and rel.relation:
            target = resolver.target(rel.key)
            tf = target.field(tail.strip()) if target is not None else None
            if tf is None or tf.relation:
                raise FormulaError("formula.unknown_field", node.span, name=name)
            if tf.refused:
                raise FormulaError(tf.refused, node.span, name=name)
            if rel.multiple:
                return Ref(tf.key, list_of(tf.type), rel.key, True)
            return Ref(tf.key, tf.type, rel.key, False)
    raise FormulaError("formula.unknown_field", node.span, name=name)


class Checker:
    def __init__(self, resolver: Resolver, functions: FunctionRegistry) -> None:
        self.resolver = resolver
        self.functions = functions

    def check(self, node: Node) -> Typed:
        if isinstance(node, Number):
            return Typed(node, NUMBER, literal=node.value)
        if isinstance(node, Text):
            return Typed(node, TEXT, literal=node.value)
        if isinstance(node, Bool):
            return Typed(node, BOOLEAN, literal=node.value)
        if isinstance(node, FieldRef):
            ref = resolve_ref(node, self.resolver)
            return Typed(node, ref.type, ref=ref)
        if isinstance(node, Unary):
            return self.call(node, "NEG" if node.op == "-" else "POS", (node.operand,))
        if isinstance(node, Binary):
            return self.call(node, node.op, (node.left, node.right))
        assert isinstance(node, Call)
        return self.call(node, node.name, node.args)

    def call(self, node: Node, name: str, arg_nodes: tuple[Node, ...]) -> Typed:
        if name not in self.functions:
            raise FormulaError("formula.unknown_function", node.span, function=name)
        fn = self.functions.get(name)
        args = tuple(self.check(a) for a in arg_nodes)
        if not fn.arity_ok(len(args)):
            raise FormulaError("formula.arity", node.span, function=name, count=len(args))
        kinds = []
        for i, a in enumerate(args):
            kind = fn.param(i)
            if a.type.kind not in ACCEPTS[kind] or (kind == "literal" and not a.is_literal):
                raise FormulaError(
                    f"formula.arg_type.{EXPECTS[kind]}", a.node.span, function=name, n=i + 1
                )
            if a.type.is_list and kind not in ("list", "numbers"):
                raise FormulaError("formula.arg_type.value", a.node.span, function=name, n=i + 1)
            kinds.append(kind)
        info = CallInfo(
            name,
            node.span,
            tuple(a.type for a in args),
            tuple(a.node.span for a in args),
            tuple(a.literal if a.is_literal else None for a in args),
        )
        result = fn.result(info)
        return Typed(node, result, args, fn, kinds=tuple(kinds))


def check(node: Node, resolver: Resolver, functions: FunctionRegistry) -> Typed:
    return Checker(resolver, functions).check(node)


def unify(call: CallInfo, indexes: list[int]) -> Type:
    """The one type of several branches (IF, SWITCH …): blank fits any; else all must agree."""
    found: Type = BLANK
    for i in indexes:
        t = call.types[i]
        if t.kind == "blank":
            continue
        if found.kind == "blank":
            found = t
        elif t != found:
            if {t.kind, found.kind} == {"date", "datetime"}:
                found = Type("datetime")
                continue
            if {t.kind, found.kind} == {"number", "boolean"}:
                found = Type("number")  # TRUE/FALSE count as 1/0
                continue
            raise call.fail("formula.branch_types", i, first=str(found), other=str(t))
    return found
