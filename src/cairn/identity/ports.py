"""What One-ID's runtime needs from the unit of work it runs in (``cairn.services`` supplies
it): the open connection, the catalogue, the moment of the write, and the table's compiled
match rules (cached per catalogue version by the services)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa

from cairn.identity.rules import CompiledRule
from cairn.store import Catalog, TableSchema


class Work(Protocol):
    """The unit of work a resolution or a match runs in."""

    @property
    def conn(self) -> sa.Connection: ...

    @property
    def catalog(self) -> Catalog: ...

    @property
    def now(self) -> datetime: ...

    def match_rules(self, s: TableSchema) -> Sequence[CompiledRule]:
        """The enabled, compiled match rules of ``s``."""
        ...
