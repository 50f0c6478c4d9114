"""Conditionals: IF, IFS, SWITCH.

They evaluate only the branch they return (an error in a branch not taken does not count). A
missing result is blank. A condition (of IF, IFS) is a boolean, a number (TRUE unless 0) or a
blank, which counts as FALSE.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cairn.formula import runtime as rt
from cairn.formula.convert import sql_bool
from cairn.formula.env import Environment, SqlEnvironment
from cairn.formula.functions.base import CallInfo, LazyFunction
from cairn.formula.functions.branching import (
    Thunk,
    branch_py,
    branch_result,
    branch_sql,
    cond_py,
    select_sql,
)
from cairn.formula.functions.comparison import Eq
from cairn.formula.sqlkit import Compiled, first_error
from cairn.formula.typecheck import unify
from cairn.formula.types import Type


class If(LazyFunction):
    """The second argument when the condition is true, else the third (blank when left out)."""

    key = "IF"
    zh = "如果"
    category = "logic"
    params = ("boolean", "any", "any")
    min_args = 2
    signature = "IF(condition, value_if_true, [value_if_false])"
    example = 'IF({score} >= 60, "pass", "fail")'

    def result(self, call: CallInfo) -> Type:
        return unify(call, list(range(1, len(call.types))))

    def py_lazy(self, args: Sequence[Thunk], env: Environment, types: tuple[Type, ...]) -> Any:
        result = self.result_of(types)
        cond = cond_py(args[0]())
        if isinstance(cond, rt.ErrorValue):
            return cond
        if cond:
            return branch_py(args[1], result)
        return branch_py(args[2], result) if len(args) > 2 else None

    def result_of(self, types: tuple[Type, ...]) -> Type:
        return branch_result(types[1:])

    def sql_lazy(
        self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]
    ) -> Compiled:
        result = self.result_of(types)
        cond = sql_bool(args[0], types[0], env)
        then = branch_sql(args[1], types[1], result, env)
        other = branch_sql(args[2], types[2], result, env) if len(args) > 2 else None
        return select_sql([(cond, then)], other, result)


class Ifs(If):
    """The value after the first condition that is true; blank when none is."""

    key = "IFS"
    zh = "多条件判断"
    params = ("boolean", "any")
    min_args = 2
    variadic = True
    signature = "IFS(condition1, value1, [condition2, value2, …])"
    example = 'IFS({score} >= 90, "A", {score} >= 60, "B", TRUE, "C")'

    def result(self, call: CallInfo) -> Type:
        if len(call.types) % 2:
            raise call.fail("formula.arity", count=len(call.types))
        for i in range(0, len(call.types), 2):
            if call.types[i].kind not in ("boolean", "number", "blank"):
                raise call.fail("formula.arg_type.boolean", i, n=i + 1)
        return unify(call, list(range(1, len(call.types), 2)))

    def param(self, index: int) -> str:
        return "any"

    def result_of(self, types: tuple[Type, ...]) -> Type:
        return branch_result(types[1::2])

    def py_lazy(self, args: Sequence[Thunk], env: Environment, types: tuple[Type, ...]) -> Any:
        result = self.result_of(types)
        for i in range(0, len(args), 2):
            cond = cond_py(args[i]())
            if isinstance(cond, rt.ErrorValue):
                return cond
            if cond:
                return branch_py(args[i + 1], result)
        return None

    def sql_lazy(
        self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]
    ) -> Compiled:
        result = self.result_of(types)
        arms = []
        for i in range(0, len(args), 2):
            cond = sql_bool(args[i], types[i], env)
            arms.append((cond, branch_sql(args[i + 1], types[i + 1], result, env)))
        return select_sql(arms, None, result)


class Switch(If):
    """Compares the expression with each value in turn and gives the result after the first
    equal one, else the default."""

    key = "SWITCH"
    zh = "匹配"
    params = ("any", "any")
    min_args = 3
    variadic = True
    signature = "SWITCH(expression, value1, result1, […], [default])"
    example = 'SWITCH({level}, "A", 1, "B", 2, 0)'

    def result(self, call: CallInfo) -> Type:
        n = len(call.types)
        cmp = Eq()
        for i in range(1, n - 1 if n % 2 == 0 else n, 2):
            cmp.result(
                CallInfo(
                    "=",
                    call.spans[i],
                    (call.types[0], call.types[i]),
                    (call.spans[0], call.spans[i]),
                    (None, None),
                )
            )
        results = list(range(2, n, 2)) + ([n - 1] if n % 2 == 0 else [])
        return unify(call, results)

    def result_of(self, types: tuple[Type, ...]) -> Type:
        n = len(types)
        results = [types[i] for i in range(2, n, 2)] + ([types[n - 1]] if n % 2 == 0 else [])
        return branch_result(results)

    def py_lazy(self, args: Sequence[Thunk], env: Environment, types: tuple[Type, ...]) -> Any:
        result = self.result_of(types)
        subject = args[0]()
        if isinstance(subject, rt.ErrorValue):
            return subject
        n = len(args)
        eq = Eq()
        pairs = n - 1 if n % 2 == 0 else n
        for i in range(1, pairs, 2):
            candidate = args[i]()
            if isinstance(candidate, rt.ErrorValue):
                return candidate
            same = eq.py([subject, candidate], env, (types[0], types[i]))
            if isinstance(same, rt.ErrorValue):
                return same
            if same:
                return branch_py(args[i + 1], result)
        return branch_py(args[n - 1], result) if n % 2 == 0 else None

    def sql_lazy(
        self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]
    ) -> Compiled:
        result = self.result_of(types)
        n = len(args)
        eq = Eq()
        arms = []
        pairs = n - 1 if n % 2 == 0 else n
        for i in range(1, pairs, 2):
            same = eq.sql([args[0], args[i]], env, (types[0], types[i]))
            err = first_error(args[0].error, args[i].error, same.error)
            arms.append(
                (Compiled(same.value, err), branch_sql(args[i + 1], types[i + 1], result, env))
            )
        default = branch_sql(args[n - 1], types[n - 1], result, env) if n % 2 == 0 else None
        return select_sql(arms, default, result)


FUNCTIONS = (If, Ifs, Switch)
