"""Syntax tree + ``Resolver`` → typed tree, or a located ``FormulaError``.

Operators are functions too (``+`` is the function with key "+"), so both back ends walk one
shape: literals, references and calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cairn.formula.ast import Binary, Bool, Call, FieldRef, Node, Number, Text, Unary, walk
from cairn.formula.errors import FormulaError
from cairn.formula.functions.base import ACCEPTS, EXPECTS, CallInfo, Function, FunctionRegistry
from cairn.formula.resolve import Ref, Resolver
from cairn.formula.types import BLANK, BOOLEAN, NUMBER, TEXT, Type, list_of

#: The element types each conditional aggregate accepts in its first argument (None: any, and
#: the bare relation ``{订单}`` too).
CONDITIONAL_ELEMS: dict[str, frozenset[str] | None] = {
    "SUM": frozenset({"number", "boolean", "duration"}),
    "AVERAGE": frozenset({"number", "boolean", "duration"}),
    "MIN": frozenset({"number", "boolean", "duration", "date", "datetime"}),
    "MAX": frozenset({"number", "boolean", "duration", "date", "datetime"}),
    "COUNT": None,
}


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


def relation_of(ref: Ref) -> str | None:
    """The relation a reference reads through (``{订单}`` and ``{订单.金额}``: 订单's key)."""
    return ref.key if ref.whole_records else ref.relation


class Checker:
    def __init__(
        self, resolver: Resolver, functions: FunctionRegistry, row: tuple[str, str] | None = None
    ) -> None:
        self.resolver = resolver
        self.functions = functions
        #: Inside a conditional aggregate's condition: (the relation key, the name written
        #: before the dot) of the rows the condition looks at one by one.
        self.row = row

    def check(self, node: Node) -> Typed:
        if isinstance(node, Number):
            return Typed(node, NUMBER, literal=node.value)
        if isinstance(node, Text):
            return Typed(node, TEXT, literal=node.value)
        if isinstance(node, Bool):
            return Typed(node, BOOLEAN, literal=node.value)
        if isinstance(node, FieldRef):
            ref = resolve_ref(node, self.resolver)
            if self.row is not None:
                ref = self.row_ref(node, ref)
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
        if fn.row_condition:
            return self.conditional(node, name, fn, arg_nodes)
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

    # -- SUMIF, COUNTIF …: an aggregate over the related rows for which a condition holds ------
    def conditional(
        self, node: Node, name: str, fn: Function, arg_nodes: tuple[Node, ...]
    ) -> Typed:
        """``SUMIF({订单.金额}, {订单.日期} >= TODAY() - 90)``: the first argument names the
        rows (a relation's field, or for COUNTIF the relation itself), the second is checked
        once per row, where ``{订单.x}`` is that row's value and other fields are this
        record's."""
        if self.row is not None:
            raise FormulaError("formula.condition_nested", node.span, function=name)
        if not fn.arity_ok(len(arg_nodes)):
            raise FormulaError("formula.arity", node.span, function=name, count=len(arg_nodes))
        if len(arg_nodes) == 1:  # COUNTIF({投诉.类型} = "严重"): the relation its fields read
            arg_nodes = (self.rows_read(name, arg_nodes[0]), arg_nodes[0])
        first, cond_node = arg_nodes
        elems = CONDITIONAL_ELEMS[fn.row_condition]
        if not isinstance(first, FieldRef):
            raise FormulaError("formula.arg_type.list", first.span, function=name, n=1)
        ref = resolve_ref(first, self.resolver)
        relation = relation_of(ref)
        if relation is None or (ref.whole_records and elems is not None):
            raise FormulaError("formula.arg_type.list", first.span, function=name, n=1)
        if not ref.whole_records and not ref.multiple:  # a single link: a list of one
            ref = Ref(ref.key, list_of(ref.type), ref.relation, True)
        if elems is not None and ref.type.elem not in elems:
            raise FormulaError("formula.arg_type.number", first.span, function=name, n=1)
        listed = Typed(first, ref.type, ref=ref)
        head = first.name.partition(".")[0].strip()
        cond = Checker(self.resolver, self.functions, (relation, head)).check(cond_node)
        if cond.type.kind not in ACCEPTS["boolean"]:
            raise FormulaError("formula.arg_type.boolean", cond_node.span, function=name, n=2)
        result = NUMBER
        if fn.row_condition in ("MIN", "MAX") and ref.type.elem in ("date", "datetime"):
            result = Type(ref.type.elem)
        return Typed(node, result, (listed, cond), fn, kinds=("list", "boolean"))

    def rows_read(self, name: str, cond: Node) -> FieldRef:
        """The relation (as ``{投诉}``) whose fields a one-argument COUNTIF's condition reads:
        exactly one relation, else a type error."""
        heads: dict[str, FieldRef] = {}
        for n in walk(cond):
            if isinstance(n, FieldRef):
                relation = relation_of(resolve_ref(n, self.resolver))
                if relation is not None:
                    heads.setdefault(relation, n)
        if len(heads) != 1:
            raise FormulaError("formula.condition_rows", cond.span, function=name)
        (ref,) = heads.values()
        return FieldRef(ref.name.partition(".")[0].strip(), ref.span)

    def row_ref(self, node: FieldRef, ref: Ref) -> Ref:
        """A reference inside a condition: the current row's field, or this record's; another
        relation (or the relation's rows as a whole) is refused."""
        assert self.row is not None
        relation, head = self.row
        if relation_of(ref) is None:
            return ref
        if ref.whole_records or ref.relation != relation:
            raise FormulaError(
                "formula.condition_relation", node.span, name=node.name, relation=head
            )
        elem = Type(ref.type.elem or "text") if ref.type.is_list else ref.type
        return Ref(ref.key, elem, relation, False, row=True)


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
