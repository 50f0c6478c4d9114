"""The function contract: one class per function, found by its name in a ``FunctionRegistry``.

A function declares its parameters (by kind), its result type, and its two back ends side by
side: ``py`` (Python values) and ``sql`` (SQLAlchemy expressions). Arguments arrive already
converted to the parameter kind, errors already propagated; a ``lazy`` function (IF, IFERROR …)
receives unevaluated arguments and handles errors itself.

Parameter kinds: ``number`` (blank is 0), ``number?`` (blank stays blank), ``text`` (blank is
""), ``boolean`` (blank is FALSE), ``date?``/``datetime?`` (blank stays blank), ``any`` (a scalar
as it is), ``list`` (a relation's values), ``literal`` (a text literal, e.g. a unit).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from cairn.core import Registry, TypeDef
from cairn.formula.ast import Span
from cairn.formula.env import Environment, SqlEnvironment
from cairn.formula.errors import FormulaError
from cairn.formula.sqlkit import Compiled
from cairn.formula.types import BLANK, Type

ACCEPTS: dict[str, frozenset[str]] = {
    "number": frozenset({"number", "boolean", "text", "blank", "duration"}),
    "number?": frozenset({"number", "boolean", "text", "blank", "duration"}),
    "text": frozenset({"number", "boolean", "text", "blank", "date", "datetime", "duration"}),
    "boolean": frozenset({"boolean", "number", "blank"}),
    "date?": frozenset({"date", "datetime", "blank"}),
    "datetime?": frozenset({"date", "datetime", "blank"}),
    "any": frozenset({"number", "boolean", "text", "blank", "date", "datetime", "duration"}),
    "list": frozenset({"list"}),
    "numbers": frozenset({"number", "boolean", "text", "blank", "duration", "list"}),
    "literal": frozenset({"text"}),
}
#: The message suffix naming what a parameter kind expects.
EXPECTS = {
    "number": "number",
    "number?": "number",
    "text": "text",
    "boolean": "boolean",
    "date?": "date",
    "datetime?": "date",
    "any": "value",
    "list": "list",
    "numbers": "number",
    "literal": "literal",
}


@dataclass(frozen=True)
class CallInfo:
    """What ``result`` may look at: the argument types, spans, and the literal values."""

    name: str
    span: Span
    types: tuple[Type, ...]
    spans: tuple[Span, ...]
    literals: tuple[Any, ...]  # the value of literal arguments, None for others

    def fail(self, key: str, index: int | None = None, **params: Any) -> FormulaError:
        span = self.span if index is None else self.spans[index]
        return FormulaError(key, span, function=self.name, **params)


class Function(TypeDef):
    key: ClassVar[str] = ""
    #: The name a 简道云 user would look for (docs).
    zh: ClassVar[str] = ""
    category: ClassVar[str] = ""
    params: ClassVar[tuple[str, ...]] = ()
    #: Fewer arguments are allowed down to this many (None: all are required).
    min_args: ClassVar[int | None] = None
    #: The last parameter repeats.
    variadic: ClassVar[bool] = False
    lazy: ClassVar[bool] = False
    #: A conditional aggregate (SUMIF …): the aggregate it applies ("SUM", "COUNT" …) to the
    #: related rows for which its second argument, checked once per row, is TRUE.
    row_condition: ClassVar[str | None] = None
    returns: ClassVar[Type] = BLANK
    signature: ClassVar[str] = ""
    example: ClassVar[str] = ""
    example_result: ClassVar[str] = ""

    def param(self, index: int) -> str:
        if index < len(self.params):
            return self.params[index]
        return self.params[-1]

    def arity_ok(self, n: int) -> bool:
        lo = len(self.params) if self.min_args is None else self.min_args
        if n < lo:
            return False
        return self.variadic or n <= len(self.params)

    def result(self, call: CallInfo) -> Type:
        """The result type; raise ``call.fail(...)`` for argument combinations that make no sense."""
        return self.returns

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        raise NotImplementedError

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        """The value and the function's *own* error (argument errors are added by the caller)."""
        raise NotImplementedError


class LazyFunction(Function):
    """A function that evaluates its arguments itself (and so decides which errors count)."""

    lazy = True

    def py_lazy(
        self, args: Sequence[Callable[[], Any]], env: Environment, types: tuple[Type, ...]
    ) -> Any:
        raise NotImplementedError

    def sql_lazy(
        self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]
    ) -> Compiled:
        raise NotImplementedError


FunctionRegistry = Registry[Function]
