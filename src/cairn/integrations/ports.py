"""What the integration runtimes need from the rest of the platform (``services`` supplies
it, ``services/integration_ports.py``): short transactions, run as someone and audited, and
the stored channel configs with their secrets in clear. Sending, the to-do pushes, the
directory import and the redeliveries all go through these."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import sqlalchemy as sa

    from cairn.auth import Entry, Principal
    from cairn.integrations.channels import ChannelConfig


class Work(Protocol):
    """One transaction: its connection and its time."""

    @property
    def conn(self) -> sa.Connection: ...

    @property
    def now(self) -> datetime: ...


class AuditedWork(Work, Protocol):
    """One transaction that also keeps audit entries (written when it commits)."""

    def audit(self, *entries: Entry) -> None: ...


class Transactions(Protocol):
    def unit(
        self, *, write: bool = True, principal: Principal | None = None
    ) -> AbstractContextManager[AuditedWork]:
        """One short transaction of its own, as ``principal`` (the system if None): what it
        changes is recorded as theirs."""
        ...


class ChannelConfigs(Protocol):
    def load(self, conn: sa.Connection, key: str) -> ChannelConfig | None:
        """The config stored under ``key`` with its secrets in clear, or None."""
        ...
