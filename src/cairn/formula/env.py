"""What evaluation and compilation depend on besides the formula: time, zone, working calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

import sqlalchemy as sa

from cairn.formula.sqlkit import Dialect


class Calendar(Protocol):
    """A working calendar over a range of days (``cairn.core.workcalendar.WorkCalendar``)."""

    @property
    def first(self) -> date: ...

    @property
    def last(self) -> date: ...

    def is_workday(self, day: date) -> bool: ...

    def seq(self, day: date) -> int:
        """How many working days there are from ``first`` up to and including ``day``."""
        ...

    def by_seq(self, seq: int) -> date | None:
        """The working day whose ``seq`` is ``seq``, None outside the range."""
        ...


@dataclass(frozen=True)
class Environment:
    """``today`` and ``now`` are local (the installation's zone); stored datetimes are UTC and
    are shifted by ``utc_offset`` seconds when a formula reads them."""

    today: date
    now: datetime
    utc_offset: int = 0
    calendar: Calendar | None = None
    #: Who the formula runs for (CURRENTUSER(), CURRENTDEPARTMENT(): form defaults and
    #: linkage only); None when no user acts or the formula cannot ask.
    user_id: int | None = None
    department: str | None = None


@dataclass(frozen=True)
class SqlEnvironment:
    """An ``Environment`` plus the dialect and, for WORKDAY/WORKDAYS, the calendar table
    (columns ``day``, ``is_workday``, ``seq``) the store keeps in step with ``env.calendar``."""

    env: Environment
    dialect: Dialect
    calendar_table: sa.Table | None = None

    @classmethod
    def of(
        cls, env: Environment, dialect_name: str, calendar_table: sa.Table | None = None
    ) -> SqlEnvironment:
        return cls(env, Dialect(dialect_name), calendar_table)


def freeze(value: Any) -> Any:  # pragma: no cover - helper for debugging
    return value
