"""How a formula finds fields: protocols the form engine implements (formula sits below it).

``Resolver`` answers the type checker (which fields exist, their formula types, which are
relations); ``Record`` gives the Python evaluator values; ``SqlSource`` gives the SQL compiler
columns and correlated sub-selects over related records.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import sqlalchemy as sa

from cairn.formula.sqlkit import Compiled
from cairn.formula.types import Type


@dataclass(frozen=True)
class FieldInfo:
    """A field as a formula sees it. ``key`` is stable (names may change)."""

    key: str
    type: Type
    #: A relation: ``{rel.field}`` reads through it; ``{rel}`` alone is its list of records.
    relation: bool = False
    #: For a relation: may link many records (then ``{rel.field}`` is a list).
    multiple: bool = True
    #: A field formulas may not use, with the message key saying why (a sensitive field:
    #: encrypted at rest, SQL cannot see its value).
    refused: str | None = None


class Resolver(Protocol):
    def field(self, name: str) -> FieldInfo | None:
        """The field with this name or key, None when there is none."""
        ...

    def target(self, relation_key: str) -> Resolver | None:
        """The fields of the table a relation points at."""
        ...


@dataclass(frozen=True)
class Ref:
    """A resolved ``{...}``: a field of the record, or a field through a relation."""

    key: str
    type: Type
    relation: str | None = None  # the relation key when the field is read through one
    multiple: bool = False  # through a relation that links many: a list
    whole_records: bool = False  # ``{rel}`` alone: the linked records (for COUNT)
    #: Inside the condition of SUMIF, COUNTIF …: the field of the one related row the
    #: condition is looking at (``relation`` is that row's relation), not a list.
    row: bool = False


class Record(Protocol):
    def value(self, key: str) -> Any:
        """The stored value of a field (numbers as int/Decimal/float, datetimes naive UTC)."""
        ...

    def related(self, relation_key: str) -> Sequence[Record]:
        """The live linked records, in ascending id order."""
        ...


@dataclass
class DictRecord:
    """A ``Record`` over plain data: ``values`` by key, ``links`` of related records by key."""

    values: Mapping[str, Any]
    links: Mapping[str, Sequence[DictRecord]] = field(default_factory=dict)

    def value(self, key: str) -> Any:
        return self.values.get(key)

    def related(self, relation_key: str) -> Sequence[DictRecord]:
        return self.links.get(relation_key, ())


@dataclass(frozen=True)
class SqlRelated:
    """Linked records in SQL: ``select(*columns)`` is a correlated select over them, ``order``
    their id (ascending order = the order the Python back end sees)."""

    source: SqlSource
    select: Callable[..., sa.Select[Any]]
    order: sa.ColumnElement[Any]


class SqlSource(Protocol):
    def column(self, key: str) -> sa.ColumnElement[Any] | Compiled:
        """The stored column of a field (or a compiled formula for a formula field)."""
        ...

    def related(self, relation_key: str) -> SqlRelated: ...
