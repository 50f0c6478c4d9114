"""Formula functions: one class per function, in families; see base.Function for the contract."""

from cairn.formula.functions.base import Function, FunctionRegistry, LazyFunction
from cairn.formula.functions.registry import builtin_functions, register_builtins

__all__ = ["Function", "FunctionRegistry", "LazyFunction", "builtin_functions", "register_builtins"]
