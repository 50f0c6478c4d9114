"""What the report engine needs from the rest of the platform (``services`` supplies it:
``services/report_ports.py``, ``services/alert_ports.py``): datasets read with a principal's
permissions (the widget runtime, the alert checker), and for the alert checker transactions
and the rule engine's actions (the engines never import each other).

``Done`` runs inside the transaction of an action's effect with the action's result: the
checker marks the action done there, so a resumed crossing never acts twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import sqlalchemy as sa

    from cairn.auth import Principal
    from cairn.reports.datasets import DatasetBuilder, Scope
    from cairn.store import Catalog, TableSchema


class Work(Protocol):
    """One transaction: its connection, its time, the catalogue it sees and for whom."""

    @property
    def conn(self) -> sa.Connection: ...

    @property
    def now(self) -> datetime: ...

    @property
    def catalog(self) -> Catalog: ...

    @property
    def principal(self) -> Principal: ...


#: (the transaction of the effect, the action's result) → None
Done = Callable[[Any, Any], None]


class Transactions(Protocol):
    def unit(
        self, *, write: bool = True, principal: Principal | None = None
    ) -> AbstractContextManager[Work]:
        """One transaction (as the system unless ``principal`` is given)."""
        ...

    def view(self, work: Work, principal: Principal) -> Work:
        """A read view of ``work`` (its connection and what it wrote so far) for another
        principal: an alert is checked with its owner's permissions in the same transaction."""
        ...


class Datasets(Protocol):
    """Dataset builders over an app's tables, for what a principal may see (the permission
    layer's answer is a ``Scope``), and the index advisor told what they grouped by."""

    def scope(self, work: Work, action: str = "read") -> Scope:
        """What ``work``'s principal may see in reports (``action``: read, or export for
        files)."""
        ...

    def builders(
        self, work: Work, app: str, scope: Scope | None = None
    ) -> Callable[[str], DatasetBuilder]:
        """table key → a dataset builder over it, within ``scope`` (by default what
        ``work``'s principal may see)."""
        ...

    def note_grouping(self, work: Work, builder: DatasetBuilder) -> None:
        """Once ``work`` commits, the index advisor learns what ``builder`` grouped by
        (building an index must not hold the transaction open)."""
        ...


class BoundActions(Protocol):
    """The rule engine's actions run as one principal (an alert's owner, or the system)."""

    def preview(self, action: Any, index: int, info: dict[str, Any], record: dict[str, Any]) -> Any:
        """What the action would do now (nothing is done)."""
        ...

    def run(
        self,
        action: Any,
        index: int,
        info: dict[str, Any],
        created: int | None,
        record: dict[str, Any],
        key: str,
        done: Done,
    ) -> None:
        """Do the action once per ``key``; ``done`` runs in the transaction of its effect.
        Raises on failure (``retryable`` says whether a later try may succeed)."""
        ...


class AlertActions(Protocol):
    """The rule-engine actions an alert runs at a crossing (notify, webhook, create_record,
    start_process)."""

    def parse(self, data: Any) -> list[Any]:
        """The actions (each with its ``type``); ``Invalid`` under ``actions``."""
        ...

    def check(
        self,
        work: Work,
        app: str,
        schema: TableSchema,
        action: Any,
        loc: str,
        names: Sequence[str],
    ) -> None:
        """The rule engine's save-time check of one action; its templates may read ``names``."""
        ...

    def process_exists(self, app: str, key: str) -> bool:
        """Has ``app`` a deployed process ``key``?"""
        ...

    def bound(self, principal: Principal, meta: dict[str, Any]) -> BoundActions:
        """The actions run as ``principal``; their writes carry ``meta`` in their events."""
        ...
