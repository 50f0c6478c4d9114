"""The formula language: parse → type check → evaluate in Python or compile to SQL.

One language for formula fields, filters, validation rules, rule and process conditions::

    f = Formula.compile('ROUND({price} * {qty}, 2)', resolver, functions)
    f.type                          # number
    f.evaluate(record, env)         # Python back end
    f.to_sql(source, sql_env)       # SQLAlchemy back end: Compiled(value, error)

Semantics follow Excel (see ``docs/formula.md``):

- blank: in arithmetic 0 (blank + 1 = 1), in text "" , as a condition FALSE; compared with a
  number it equals 0, with text "", and a blank date sorts before every date;
- TRUE/FALSE are 1/0 in arithmetic; text in arithmetic is converted ("2" + 1 = 3) or #VALUE!;
  ``"a" & 1`` is "a1" (numbers as text have up to 15 significant digits, no exponent);
- ``^`` is left-associative and a sign binds tighter (-2^2 = 4); ROUND rounds half away from
  zero; MOD takes the divisor's sign;
- error values #DIV/0!, #VALUE!, #NUM! propagate through every operator and function except
  the branch not taken by IF/IFS/SWITCH and the first argument of IFERROR/ISERROR;
- text comparisons ignore the case of A-Z (as Excel) and otherwise compare code points.

In SQL an error travels beside the value (see ``compile_sql``); both back ends agree exactly,
which the differential tests check on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cairn.core.i18n import register_messages
from cairn.formula.ast import Node, field_names
from cairn.formula.compile_sql import SA_TYPES, compile_typed, from_column
from cairn.formula.env import Calendar, Environment, SqlEnvironment
from cairn.formula.errors import FormulaError
from cairn.formula.evaluate import compile_python, evaluate, from_stored
from cairn.formula.functions import Function, FunctionRegistry, builtin_functions
from cairn.formula.messages import MESSAGES
from cairn.formula.parser import parse
from cairn.formula.printer import to_text
from cairn.formula.resolve import (
    DictRecord,
    FieldInfo,
    Record,
    Ref,
    Resolver,
    SqlRelated,
    SqlSource,
)
from cairn.formula.runtime import ERRORS, ErrorValue
from cairn.formula.sqlkit import Compiled
from cairn.formula.typecheck import Typed, check
from cairn.formula.types import (
    BLANK,
    BOOLEAN,
    DATE,
    DATETIME,
    DURATION,
    NUMBER,
    TEXT,
    Type,
    list_of,
)

_default_functions: FunctionRegistry | None = None


def default_functions() -> FunctionRegistry:
    """The built-in functions (a constant registry, built on first use)."""
    global _default_functions
    if _default_functions is None:
        _default_functions = builtin_functions()
    return _default_functions


def function_help() -> list[dict[str, str]]:
    """The functions as the formula editor's help lists them (operators left out): name, the
    name a 简道云 user looks for, category, signature, result type (``any``: it depends on the
    arguments) and the first paragraph of the class's docstring."""
    out = []
    for f in default_functions():
        if f.category == "operator":
            continue
        doc = (type(f).__doc__ or "").strip().split("\n\n")[0]
        out.append(
            {
                "name": f.key,
                "zh": f.zh,
                "category": f.category,
                "signature": f.signature,
                "returns": "any" if f.returns.kind == "blank" else f.returns.kind,
                "description": " ".join(doc.split()),
            }
        )
    return out


@dataclass(frozen=True)
class Formula:
    """A parsed and type-checked formula, ready for either back end."""

    text: str
    tree: Node
    typed: Typed

    @classmethod
    def compile(
        cls,
        text: str,
        resolver: Resolver,
        functions: FunctionRegistry | None = None,
        *,
        location: str = "formula",
    ) -> Formula:
        """Parse and type check; a ``FormulaError`` under ``location`` when that fails."""
        try:
            tree = parse(text)
            typed = check(tree, resolver, functions or default_functions())
        except FormulaError as e:
            raise e.at(location) from None
        return cls(text, tree, typed)

    @property
    def type(self) -> Type:
        return self.typed.type

    @property
    def references(self) -> list[str]:
        """The ``{...}`` names used, in order."""
        return field_names(self.tree)

    def evaluate(self, record: Record, env: Environment) -> Any:
        run = self.__dict__.get("_run")
        if run is None:
            run = compile_python(self.typed)
            object.__setattr__(self, "_run", run)
        return run(record, env)

    def to_sql(
        self, source: SqlSource, env: SqlEnvironment, *, location: str = "formula"
    ) -> Compiled:
        try:
            return compile_typed(self.typed, source, env)
        except FormulaError as e:
            raise e.at(location) from None


register_messages(MESSAGES)

__all__ = [
    "BLANK",
    "BOOLEAN",
    "DATE",
    "DATETIME",
    "DURATION",
    "ERRORS",
    "NUMBER",
    "SA_TYPES",
    "TEXT",
    "Calendar",
    "Compiled",
    "DictRecord",
    "Environment",
    "ErrorValue",
    "FieldInfo",
    "Formula",
    "FormulaError",
    "Function",
    "FunctionRegistry",
    "Record",
    "Ref",
    "Resolver",
    "SqlEnvironment",
    "SqlRelated",
    "SqlSource",
    "Type",
    "Typed",
    "builtin_functions",
    "check",
    "default_functions",
    "evaluate",
    "field_names",
    "from_column",
    "from_stored",
    "function_help",
    "list_of",
    "parse",
    "to_text",
]
