"""Filter operators: one class per operator, in a registry found by ``key``."""

from __future__ import annotations

from cairn.core import Registry
from cairn.query.operators import comparison, dates, empty, tags, text
from cairn.query.operators.base import (
    BadShape,
    DayRange,
    Linked,
    OpContext,
    Operator,
    OperatorRegistry,
)


def register_builtins(registry: OperatorRegistry) -> OperatorRegistry:
    for family in (comparison, text, empty, dates, tags):
        for cls in family.OPERATORS:
            registry.register(cls())
    return registry


def builtin_operators() -> OperatorRegistry:
    return register_builtins(Registry[Operator]("filter operator"))


__all__ = [
    "BadShape",
    "DayRange",
    "Linked",
    "OpContext",
    "Operator",
    "OperatorRegistry",
    "builtin_operators",
    "register_builtins",
]
