"""The function registry and the built-in functions."""

from __future__ import annotations

from cairn.core import Registry
from cairn.formula.functions import (
    aggregates,
    blanks,
    comparison,
    conditionals,
    constants,
    date_math,
    dates,
    error_checks,
    logic,
    math,
    operators,
    text,
    text_format,
    workdays,
)
from cairn.formula.functions.base import Function, FunctionRegistry


def register_builtins(registry: FunctionRegistry) -> FunctionRegistry:
    for family in (
        operators.OPERATORS,
        comparison.OPERATORS,
        conditionals.FUNCTIONS,
        logic.FUNCTIONS,
        blanks.FUNCTIONS,
        constants.FUNCTIONS,
        error_checks.FUNCTIONS,
        text.FUNCTIONS,
        text_format.FUNCTIONS,
        math.FUNCTIONS,
        aggregates.FUNCTIONS,
        dates.FUNCTIONS,
        date_math.FUNCTIONS,
        workdays.FUNCTIONS,
    ):
        for cls in family:
            registry.register(cls())
    return registry


def builtin_functions() -> FunctionRegistry:
    return register_builtins(Registry[Function]("formula function"))
