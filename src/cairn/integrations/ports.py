"""What sending needs from the rest of the platform (``services`` supplies it): short
transactions, and the stored channel configs with their secrets in clear."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import sqlalchemy as sa

    from cairn.integrations.channels import ChannelConfig


class Work(Protocol):
    """One transaction: its connection and its time."""

    @property
    def conn(self) -> sa.Connection: ...

    @property
    def now(self) -> datetime: ...


class Transactions(Protocol):
    def unit(self, *, write: bool = True) -> AbstractContextManager[Work]:
        """One short transaction of its own."""
        ...


class ChannelConfigs(Protocol):
    def load(self, conn: sa.Connection, key: str) -> ChannelConfig | None:
        """The config stored under ``key`` with its secrets in clear, or None."""
        ...
