"""Who fills in the form: CURRENTUSER() and CURRENTDEPARTMENT().

They exist only where a form is filled in (a field's default formula, a form's linkage rules):
``cairn.formula.forms.form_functions`` adds them to the built-ins. Elsewhere (formula fields,
filters, reports) there is no current user, so the functions are unknown there.
"""

from __future__ import annotations

from typing import Any

from cairn.formula.env import Environment, SqlEnvironment
from cairn.formula.functions.base import Function
from cairn.formula.sqlkit import FLOAT, TEXT, Compiled
from cairn.formula.types import NUMBER, Type
from cairn.formula.types import TEXT as TEXT_T


class CurrentUser(Function):
    """The id of the user filling in the form (blank when no user acts), e.g. as the default
    of a user field."""

    key = "CURRENTUSER"
    zh = "当前用户"
    category = "form"
    returns = NUMBER
    signature = "CURRENTUSER()"
    example = "CURRENTUSER()"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return None if env.user_id is None else float(env.user_id)

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        uid = env.env.user_id
        k = env.dialect
        return Compiled(k.null(FLOAT) if uid is None else k.lit(float(uid), FLOAT))


class CurrentDepartment(Function):
    """The name of the main department of the user filling in the form (blank when none)."""

    key = "CURRENTDEPARTMENT"
    zh = "当前部门"
    category = "form"
    returns = TEXT_T
    signature = "CURRENTDEPARTMENT()"
    example = "CURRENTDEPARTMENT()"

    def py(self, args: list[Any], env: Environment, types: tuple[Type, ...]) -> Any:
        return env.department

    def sql(self, args: list[Compiled], env: SqlEnvironment, types: tuple[Type, ...]) -> Compiled:
        k = env.dialect
        name = env.env.department
        return Compiled(k.null(TEXT) if name is None else k.lit(name, TEXT))


FUNCTIONS = (CurrentUser, CurrentDepartment)
