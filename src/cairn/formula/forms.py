"""The formula language where a form is filled in: the browser's subset and its syntax tree.

A form's linkage rules run twice: live in the browser as the user types (a TypeScript
interpreter, ``web/src/formula/``) and again on the server when the record is saved. The
server type-checks each formula and hands the browser the *typed* tree as JSON (``to_json``):
every node carries its type, and every call the conversion each argument gets, so the browser
never re-derives a type and both sides take the same decisions.

``BROWSER_FUNCTIONS`` is the one list of what the browser evaluates; a linkage formula using
anything else is refused when saved (``check_browser``). ``web/src/formula/functions.ts``
implements exactly these keys (``tests/formula/test_browser_eval.py`` checks both lists and
runs random formulas through both evaluators).
"""

from __future__ import annotations

from typing import Any

from cairn.core import Registry
from cairn.formula.errors import FormulaError
from cairn.formula.functions import Function, FunctionRegistry, register_builtins
from cairn.formula.functions import context as context_functions
from cairn.formula.typecheck import Typed

#: What the browser's evaluator implements (operators by their symbol; NEG and POS are the
#: signs). Left out: TEXT (formats), COUNT and the aggregates over relations (no related
#: records in a form), WORKDAY and WORKDAYS (the working calendar stays on the server).
BROWSER_FUNCTIONS: tuple[str, ...] = (
    # operators
    "+", "-", "*", "/", "^", "NEG", "POS", "&", "=", "<>", "<", "<=", ">", ">=",
    # logic
    "IF", "IFS", "SWITCH", "AND", "OR", "NOT", "ISBLANK", "BLANKVALUE", "BLANK", "TRUE",
    "FALSE", "IFERROR", "ISERROR",
    # text
    "CONCAT", "LEFT", "RIGHT", "MID", "LEN", "UPPER", "LOWER", "TRIM", "SUBSTITUTE", "FIND",
    "CONTAINS", "VALUE",
    # math (SUM, AVERAGE, MIN, MAX of values)
    "SUM", "AVERAGE", "MIN", "MAX", "ROUND", "ROUNDUP", "ROUNDDOWN", "INT", "ABS", "MOD",
    "POWER", "SQRT",
    # dates
    "TODAY", "NOW", "DATE", "YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND", "WEEKDAY",
    "DATEADD", "DATEDIF", "DAYS",
    # who fills in the form
    "CURRENTUSER", "CURRENTDEPARTMENT",
)  # fmt: skip
_BROWSER = frozenset(BROWSER_FUNCTIONS)


_form_functions: FunctionRegistry | None = None


def form_functions() -> FunctionRegistry:
    """The built-in functions plus CURRENTUSER() and CURRENTDEPARTMENT() (a constant
    registry, built on first use)."""
    global _form_functions
    if _form_functions is None:
        registry = register_builtins(Registry[Function]("formula function"))
        for cls in context_functions.FUNCTIONS:
            registry.register(cls())
        _form_functions = registry
    return _form_functions


def typed_nodes(t: Typed) -> list[Typed]:
    """Every node of a typed tree, parents before children (iterative)."""
    out: list[Typed] = []
    stack = [t]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(node.args))
    return out


def check_browser(t: Typed) -> None:
    """A ``FormulaError`` (``formula.not_in_browser``) at the first function the browser does
    not evaluate."""
    for node in typed_nodes(t):
        if node.fn is not None and node.fn.key not in _BROWSER:
            raise FormulaError("formula.not_in_browser", node.node.span, function=node.fn.key)


def to_json(t: Typed) -> dict[str, Any]:
    """The typed tree as the browser evaluates it::

        {"lit": 1.0, "t": "number"}                      a literal (number, text, TRUE/FALSE)
        {"ref": "status", "t": "text"}                   a field of the record, by key
        {"fn": "IF", "t": "text", "cv": [...], "args": [...]}

    ``t`` is the node's type; ``cv`` the conversion each argument gets before the call
    (``number``, ``number?``, ``text``, ``boolean``, ``date?``, ``datetime?``, ``any`` …)."""
    kind = t.type.kind
    if t.fn is None:
        if t.ref is not None:
            return {"ref": t.ref.key, "t": kind}
        return {"lit": t.literal, "t": kind}
    return {
        "fn": t.fn.key,
        "t": kind,
        "cv": list(t.kinds),
        "args": [to_json(a) for a in t.args],
    }


def uses_functions(t: Typed) -> set[str]:
    """The keys of the functions a typed tree calls."""
    return {n.fn.key for n in typed_nodes(t) if n.fn is not None}


def uses_fields(t: Typed) -> list[str]:
    """The keys of the fields a typed tree reads, in order, each once."""
    return list(dict.fromkeys(n.ref.key for n in typed_nodes(t) if n.ref is not None))
