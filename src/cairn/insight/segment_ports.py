"""What segment evaluation needs from outside (``cairn.services`` supplies it): one unit of
work whose events reach the outbox in the same transaction as the membership change."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import sqlalchemy as sa

from cairn.core import Event
from cairn.store.catalog import Catalog


class SegmentWork(Protocol):
    conn: sa.Connection
    now: datetime

    @property
    def catalog(self) -> Catalog: ...

    def emit(self, event: Event) -> None: ...
