"""The filter-operator contract: one class per operator, found by ``key`` in a registry.

An operator checks the shape of its operand (``prepare``) and turns a subject expression and the
coerced operand into a boolean SQL expression (``compile``). Which operators a field offers is
the field type's business (``FieldType.operators``); how an operator reads a value family
(text, choices, relation, …) is the operator's, switched on ``OpContext.value_type``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from cairn.core import Clock, Registry, TypeDef

Shape = Literal["none", "one", "list", "pair", "days"]
Where = Callable[[sa.ColumnElement[Any], sa.ColumnElement[Any]], sa.ColumnElement[bool]]

#: Value families whose column holds a JSON text array.
JSON_ARRAY_TYPES = frozenset({"choices", "file"})
TEXT_TYPES = frozenset({"text"})
MAX_LIST = 1000


class BadShape(ValueError):
    """The operand does not have the shape the operator needs (a list, a pair, a day count)."""


@dataclass(frozen=True)
class DayRange:
    """A whole local day (or days) given as a date for a datetime field, as naive-UTC bounds."""

    start: datetime
    end: datetime


class Linked:
    """Linked live records of a relation (or the relation under a lookup), as EXISTS clauses.

    ``exists(where)`` is true when some linked live target satisfies ``where(target_id, value)``
    (``value`` is the target id for a relation and the looked-up column for a lookup).
    """

    def __init__(
        self,
        exists: Callable[[Where | None], sa.ColumnElement[bool]],
        value_required: bool = False,
        target: Any = None,
    ) -> None:
        self._exists = exists
        self.value_required = value_required
        #: For a lookup: (the target table's schema, the looked-up field), so a filter can
        #: compare the looked-up value (``cairn.query.linked_filters``); None otherwise.
        self.target = target

    def exists(self, where: Where | None = None) -> sa.ColumnElement[bool]:
        return self._exists(where)

    def present(self) -> sa.ColumnElement[bool]:
        """Some link counts: for a lookup only links whose looked-up value is not blank."""
        if self.value_required:
            return self.exists(lambda _tid, value: value.is_not(None))
        return self.exists(None)


@dataclass(frozen=True)
class OpContext:
    value_type: str
    timezone: ZoneInfo
    clock: Clock
    field_key: str = ""
    linked: Linked | None = None


class Operator(TypeDef):
    """Base of every filter operator."""

    shape: ClassVar[Shape] = "one"

    @classmethod
    def label_key(cls) -> str:
        return f"operator.{cls.key}"

    @property
    def expected(self) -> str:
        """What the operand must be, for the ``filter.value`` message."""
        return {
            "none": "no value",
            "one": "a value",
            "list": "a list of values",
            "pair": "[low, high]",
            "days": "a number of days (1-3660)",
        }[self.shape]

    def prepare(self, raw: Any, has_value: bool, operand: Callable[[Any], Any]) -> Any:
        """The operand checked for shape and coerced with the field's ``operand`` function.

        Raises ``BadShape`` for a wrong shape; ``operand`` raises ``BadValue`` for a bad value.
        """
        if self.shape == "none":
            if has_value and raw not in (None, "", []):
                raise BadShape(self.key)
            return None
        if self.shape == "days":
            if isinstance(raw, str) and raw.strip().isdigit():
                raw = int(raw)
            if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 3660:
                raise BadShape(self.key)
            return raw
        if self.shape == "list":
            if not isinstance(raw, list) or len(raw) > MAX_LIST:
                raise BadShape(self.key)
            if any(v is None or isinstance(v, list | dict) for v in raw):
                raise BadShape(self.key)
            return [_present(operand(v), self.key) for v in raw]
        if self.shape == "pair":
            if not isinstance(raw, list) or len(raw) != 2:
                raise BadShape(self.key)
            if any(v is None or isinstance(v, list | dict) for v in raw):
                raise BadShape(self.key)
            return [_present(operand(raw[0]), self.key), _present(operand(raw[1]), self.key)]
        if raw is None or isinstance(raw, list | dict) or not has_value:
            raise BadShape(self.key)
        return _present(operand(raw), self.key)

    def compile(
        self, column: sa.ColumnElement[Any], value: Any, ctx: OpContext
    ) -> sa.ColumnElement[bool]:
        raise NotImplementedError


def _present(value: Any, key: str) -> Any:
    """A blank operand ("" for a number) has no meaning here: use is_empty instead."""
    if value is None:
        raise BadShape(key)
    return value


OperatorRegistry = Registry[Operator]
