"""Logic: IF, IFS, SWITCH, AND, OR, NOT, ISBLANK, BLANKVALUE, BLANK, TRUE, FALSE, IFERROR, ISERROR.

IF, IFS, SWITCH, IFERROR and BLANKVALUE evaluate only the branch they return (an error in a
branch not taken does not count). A missing IF/IFS/SWITCH result is blank.

A condition (of AND, OR, NOT, IF, IFS) is a boolean, a number (TRUE unless 0) or a blank, which
counts as FALSE: ``AND(TRUE, BLANK())`` is FALSE (Excel would skip the blank; docs/formula.md).
AND and OR look at every argument, so an error in any of them is the result, as in Excel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from cairn.formula import runtime as rt
from cairn.formula.convert import py_bool, py_convert, sql_bool, sql_convert
from cairn.formula.env import Environment, SqlEnvironment
from cairn.formula.functions.base import CallInfo, Function, LazyFunction
from cairn.formula.functions.comparison import Eq
from cairn.formula.sqlkit import BOOL, SA_TYPES, TEXT, Compiled, first_error, operand
from cairn.formula.typecheck import unify
from cairn.formula.types import BLANK, BOOLEAN, Type

Thunk = Callable[[], Any]


def _to(result: Type) -> str:
    """The conversion a branch value gets to the result type (date → datetime, TRUE → 1)."""
    return {"datetime": "datetime?", "number": "number?"}.get(result.kind, "any")


def _branch_py(thunk: Thunk, result: Type) -> Any:
    return py_convert(thunk(), _to(result))


def _branch_sql(c: Compiled, t: Type, result: Type, env: SqlEnvironment) -> Compiled:
    if t.kind == "blank" and result.kind != "blank":
        return Compiled(env.dialect.null(_sa_type(result)), c.error)
    return sql_convert(c, t, _to(result), env)


def _sa_type(t: Type) -> Any:
    return SA_TYPES.get(t.kind, TEXT)


def _cond_py(v: Any) -> Any:
    return v if isinstance(v, rt.ErrorValue) else py_bool(v)


def _select_sql(
    arms: list[tuple[Compiled, Compiled]], default: Compiled | None, result: Type
) -> Compiled:
    """CASE over (condition, branch) pairs; a condition's error wins when it is reached."""
    whens_v = []
    whens_e = []
    any_error = False
    for cond, branch in arms:
        if cond.error is not None:
            any_error = True
            whens_v.append((cond.error.is_not(None), sa.null()))
            whens_e.append((cond.error.is_not(None), cond.error))
        whens_v.append((cond.value, branch.value))
        whens_e.append((cond.value, branch.error if branch.error is not None else sa.null()))
        any_error = any_error or branch.error is not None
    else_v = default.value if default is not None else None
    value = sa.case(*whens_v, else_=else_v)
    if default is not None and default.error is not None:
        any_error = True
    error = None
    if any_error:
        else_e = default.error if default is not None and default.error is not None else None
        error = sa.case(*whens_e, else_=else_e)
    return Compiled(sa.type_coerce(value, _sa_type(result)), error)


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
        cond = _cond_py(args[0]())
        if isinstance(cond, rt.ErrorValue):
            return cond
        if cond:
            return _branch_py(args[1], result)
        return _branch_py(args[2], result) if len(args) > 2 else None

    def result_of(self, types: tuple[Type, ...]) -> Type:
        found = BLANK
        for t in types[1:]:
            if t.kind != "blank" and found.kind in ("blank", "date", "boolean"):
                if found.kind == "boolean" and t.kind != "number":
                    continue
                found = t
        return found

    def sql_lazy(
        self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]
    ) -> Compiled:
        result = self.result_of(types)
        cond = sql_bool(args[0], types[0], env)
        then = _branch_sql(args[1], types[1], result, env)
        other = _branch_sql(args[2], types[2], result, env) if len(args) > 2 else None
        return _select_sql([(cond, then)], other, result)


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
        return If.result_of(self, (BLANK, *types[1::2]))

    def py_lazy(self, args: Sequence[Thunk], env: Environment, types: tuple[Type, ...]) -> Any:
        result = self.result_of(types)
        for i in range(0, len(args), 2):
            cond = _cond_py(args[i]())
            if isinstance(cond, rt.ErrorValue):
                return cond
            if cond:
                return _branch_py(args[i + 1], result)
        return None

    def sql_lazy(
        self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]
    ) -> Compiled:
        result = self.result_of(types)
        arms = []
        for i in range(0, len(args), 2):
            cond = sql_bool(args[i], types[i], env)
            arms.append((cond, _branch_sql(args[i + 1], types[i + 1], result, env)))
        return _select_sql(arms, None, result)


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
        return If.result_of(self, (BLANK, *results))

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
                return _branch_py(args[i + 1], result)
        return _branch_py(args[n - 1], result) if n % 2 == 0 else None

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
                (Compiled(same.value, err), _branch_sql(args[i + 1], types[i + 1], result, env))
            )
        default = _branch_sql(args[n - 1], types[n - 1], result, env) if n % 2 == 0 else None
        return _select_sql(arms, default, result)


class And(Function):
    """TRUE when every argument is true."""

    key = "AND"
    zh = "且"
    category = "logic"
    params = ("boolean",)
    variadic = True
    returns = BOOLEAN
    signature = "AND(logical1, [logical2, …])"
    example = 'AND({tier} = "VIP", {amount} > 1000)'

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return all(args)

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return Compiled(sa.and_(*(a.value for a in args)))


class Or(Function):
    """TRUE when at least one argument is true."""

    key = "OR"
    zh = "或"
    category = "logic"
    params = ("boolean",)
    variadic = True
    returns = BOOLEAN
    signature = "OR(logical1, [logical2, …])"
    example = 'OR({city} = "北京", {city} = "上海")'

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return any(args)

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return Compiled(sa.or_(*(a.value for a in args)))


class Not(Function):
    """TRUE when the argument is false, FALSE when it is true."""

    key = "NOT"
    zh = "非"
    category = "logic"
    params = ("boolean",)
    returns = BOOLEAN
    signature = "NOT(logical)"
    example = "NOT({paid})"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return not args[0]

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return Compiled(sa.not_(operand(args[0].value)))


class IsBlank(Function):
    """TRUE when the value is blank (empty text counts as blank)."""

    key = "ISBLANK"
    zh = "是否为空"
    category = "logic"
    params = ("any",)
    returns = BOOLEAN
    signature = "ISBLANK(value)"
    example = "ISBLANK({phone})"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return args[0] is None or args[0] == ""

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        v = args[0].value
        if types[0].kind == "blank":
            return Compiled(env.dialect.lit(True, BOOL))
        if types[0].kind == "text":
            return Compiled(sa.or_(v.is_(None), v == ""))
        return Compiled(v.is_(None))


class BlankValue(LazyFunction):
    """The value, or the second argument when the value is blank."""

    key = "BLANKVALUE"
    zh = "空值替换"
    category = "logic"
    params = ("any", "any")
    signature = "BLANKVALUE(value, value_if_blank)"
    example = "BLANKVALUE({nickname}, {name})"

    def result(self, call: CallInfo) -> Type:
        return unify(call, [0, 1])

    def py_lazy(self, args: Sequence[Thunk], env: Environment, types: tuple[Type, ...]) -> Any:
        result = If.result_of(If(), (BLANK, *types))  # type: ignore[arg-type]
        v = args[0]()
        if isinstance(v, rt.ErrorValue):
            return v
        if v is None or v == "":
            return _branch_py(args[1], result)
        return py_convert(v, _to(result))

    def sql_lazy(
        self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]
    ) -> Compiled:
        result = If.result_of(If(), (BLANK, *types))  # type: ignore[arg-type]
        first = _branch_sql(args[0], types[0], result, env)
        second = _branch_sql(args[1], types[1], result, env)
        v = args[0].value
        blank = sa.or_(v.is_(None), v == "") if types[0].kind == "text" else v.is_(None)
        if types[0].kind == "blank":
            return second
        cond = Compiled(blank, args[0].error)
        return _select_sql([(cond, second)], first, result)


class Blank(Function):
    """A blank value (to clear a field or compare with)."""

    key = "BLANK"
    zh = "空值"
    category = "logic"
    params = ()
    returns = BLANK
    signature = "BLANK()"
    example = 'IF({done}, BLANK(), "open")'

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return None

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return Compiled(sa.null())


class TrueFn(Function):
    """The logical value TRUE."""

    key = "TRUE"
    zh = "真"
    category = "logic"
    params = ()
    returns = BOOLEAN
    signature = "TRUE()"
    example = "TRUE()"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return True

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return Compiled(env.dialect.lit(True, BOOL))


class FalseFn(TrueFn):
    """The logical value FALSE."""

    key = "FALSE"
    zh = "假"
    signature = "FALSE()"
    example = "FALSE()"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return False

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        return Compiled(env.dialect.lit(False, BOOL))


class IfError(LazyFunction):
    """The value, or the second argument when the value is an error (#DIV/0!, #VALUE!, #NUM!)."""

    key = "IFERROR"
    zh = "错误替换"
    category = "logic"
    params = ("any", "any")
    signature = "IFERROR(value, value_if_error)"
    example = "IFERROR({amount} / {count}, 0)"

    def result(self, call: CallInfo) -> Type:
        return unify(call, [0, 1])

    def py_lazy(self, args: Sequence[Thunk], env: Environment, types: tuple[Type, ...]) -> Any:
        result = If.result_of(If(), (BLANK, *types))  # type: ignore[arg-type]
        v = args[0]()
        if isinstance(v, rt.ErrorValue):
            return _branch_py(args[1], result)
        return py_convert(v, _to(result))

    def sql_lazy(
        self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]
    ) -> Compiled:
        result = If.result_of(If(), (BLANK, *types))  # type: ignore[arg-type]
        first = _branch_sql(args[0], types[0], result, env)
        second = _branch_sql(args[1], types[1], result, env)
        if args[0].error is None:
            return Compiled(first.value)
        failed = args[0].error.is_not(None)
        value = sa.case((failed, second.value), else_=first.value)
        error = sa.case((failed, second.error), else_=None) if second.error is not None else None
        return Compiled(sa.type_coerce(value, _sa_type(result)), error)


class IsError(LazyFunction):
    """TRUE when the value is an error (#DIV/0!, #VALUE!, #NUM!)."""

    key = "ISERROR"
    zh = "是否错误"
    category = "logic"
    params = ("any",)
    returns = BOOLEAN
    signature = "ISERROR(value)"
    example = "ISERROR({amount} / {count})"

    def py_lazy(self, args: Sequence[Thunk], env: Environment, types: tuple[Type, ...]) -> Any:
        return isinstance(args[0](), rt.ErrorValue)

    def sql_lazy(
        self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]
    ) -> Compiled:
        if args[0].error is None:
            return Compiled(env.dialect.lit(False, BOOL))
        return Compiled(args[0].error.is_not(None))


FUNCTIONS = (
    If,
    Ifs,
    Switch,
    And,
    Or,
    Not,
    IsBlank,
    BlankValue,
    Blank,
    TrueFn,
    FalseFn,
    IfError,
    IsError,
)
