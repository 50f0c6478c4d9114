"""Binding a sub-expression once in SQL (``let``), so formula SQL grows linearly.

A function often needs an argument several times (``a * b`` checks both before multiplying).
Repeating a large argument's SQL at every level would make the SQL grow exponentially with
nesting. ``bind_call`` builds the function over placeholders, puts back every argument used
once, and binds the rest once in a derived table::

    (SELECT <body using _f7.v0 twice> FROM (SELECT <argument 0> AS v0) AS _f7)

Both SQLite and PostgreSQL let that inner SELECT refer to the outer row; it is used on
PostgreSQL (SQLite's parser stack is too shallow for nested sub-selects).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import replacement_traverse

from cairn.formula.sqlkit import Compiled, is_constant, operand

_names = itertools.count(1)
#: Arguments this small are repeated rather than bound.
SIMPLE = 6


class Let(sa.ColumnElement[Any]):
    inherit_cache = False

    def __init__(self, alias: str, inputs: list[Any], body: Any) -> None:
        self.alias = alias
        self.inputs = inputs
        self.body = body
        self.type = body.type

    def get_children(self, **kw: Any) -> list[Any]:
        return [*self.inputs, self.body]

    @property
    def _from_objects(self) -> list[Any]:
        out: list[Any] = []
        for e in self.inputs:
            out.extend(getattr(e, "_from_objects", []))
        return out


@compiles(Let)
def _render_let(element: Let, compiler: Any, **kw: Any) -> str:
    cols = ", ".join(f"{compiler.process(e, **kw)} AS v{i}" for i, e in enumerate(element.inputs))
    body = compiler.process(element.body, **kw)
    # OFFSET 0 keeps PostgreSQL from pulling the derived table up into the outer expression,
    # which would repeat the bound argument at every use again.
    return f"(SELECT {body} FROM (SELECT {cols} OFFSET 0) AS {element.alias})"


def _size(expr: Any, limit: int = SIMPLE) -> int:
    count = 0
    stack = [expr]
    while stack and count <= limit:
        node = stack.pop()
        count += 1
        stack.extend(node.get_children())
    return count


def _uses(body: Any, placeholders: dict[int, int]) -> dict[int, int]:
    """How many times each placeholder (by id) occurs in ``body`` (a small template)."""
    counts: dict[int, int] = {}
    stack = [body]
    while stack:
        node = stack.pop()
        if id(node) in placeholders:
            counts[id(node)] = counts.get(id(node), 0) + 1
            continue
        stack.extend(node.get_children())
    return counts


def _finish(body: Any, placeholders: dict[int, tuple[Any, Any]], alias: str) -> Any:
    if body is None:
        return None
    index = {pid: i for i, pid in enumerate(placeholders)}
    uses = _uses(body, index)
    inline: dict[int, Any] = {}
    bound: list[tuple[int, Any, Any]] = []
    for pid, (ph, original) in placeholders.items():
        n = uses.get(pid, 0)
        if n == 0:
            continue
        if n == 1 or _size(original) <= SIMPLE:
            # The body was built around a placeholder (a bare name, never in parentheses):
            # put the argument back as one operand.
            inline[pid] = operand(original)
        else:
            bound.append((pid, ph, original))
    if not bound:
        if not inline:
            return body
        return replacement_traverse(body, {}, lambda e: inline.get(id(e)))
    renamed: dict[int, Any] = dict(inline)
    inputs = []
    for i, (pid, ph, original) in enumerate(bound):
        renamed[pid] = sa.literal_column(f"{alias}.v{i}", ph.type)
        inputs.append(original)
    body = replacement_traverse(body, {}, lambda e: renamed.get(id(e)))
    return Let(alias, inputs, body)


def bind_call(
    build: Callable[[list[Compiled]], Compiled], args: list[Compiled], enabled: bool = True
) -> Compiled:
    """``build(args)`` with every argument used more than once bound once.

    SQLite's parser allows little nesting (about 15 nested sub-selects), so there arguments
    are repeated instead (``enabled=False``) and the size limit of the caller applies.
    """
    if not enabled:
        return build(args)
    alias = f"_f{next(_names)}"
    placeholders: dict[int, tuple[Any, Any]] = {}
    ph_args = []
    for i, a in enumerate(args):
        if not isinstance(a.value, sa.ColumnElement) or (a.error is None and is_constant(a.value)):
            # A relation's list, or a constant (the function may see it is never blank).
            ph_args.append(a)
            continue
        v = sa.literal_column(f"__ph{i}v", a.value.type)
        placeholders[id(v)] = (v, a.value)
        e = None
        if a.error is not None:
            e = sa.literal_column(f"__ph{i}e", a.error.type)
            placeholders[id(e)] = (e, a.error)
        ph_args.append(Compiled(v, e, a.literal))
    out = build(ph_args)
    value = _finish(out.value, placeholders, alias)
    error = _finish(out.error, placeholders, alias + "e")
    return Compiled(value, error, out.literal)
