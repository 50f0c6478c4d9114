"""What the permission layer (``auth/guard.py``) reads of a unit of work; ``services`` supplies
it (``services.uow.UnitOfWork``), so auth never imports the layer above it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import sqlalchemy as sa

    from cairn.auth.principal import Principal
    from cairn.core import Clock
    from cairn.store import Catalog


class Work(Protocol):
    """One transaction as a principal sees it: its connection, the catalogue it reads, the
    clock of relative dates in row filters, and the guard built for it on first use."""

    #: The unit of work's guard (``auth.guard.guard`` sets it once).
    permissions: Any

    @property
    def conn(self) -> sa.Connection: ...

    @property
    def principal(self) -> Principal: ...

    @property
    def catalog(self) -> Catalog: ...

    @property
    def catalog_is_private(self) -> bool:
        """The schema changed in this transaction: its catalogue is its own, not shared."""
        ...

    @property
    def clock(self) -> Clock: ...
