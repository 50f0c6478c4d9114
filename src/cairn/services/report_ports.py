"""The report engine's dataset port (``reports/ports.py``: ``Datasets``) over the services:
dataset builders scoped by the permission layer, and the index advisor told what they grouped
by. The widget runtime and the alert checker read through it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cairn.reports import DatasetBuilder, Scope
from cairn.services.reports import scope_of

if TYPE_CHECKING:
    from cairn.services.context import Services


class ReportDatasets:
    """``reports.ports.Datasets``: dataset builders scoped by the permission layer."""

    def __init__(self, services: Services) -> None:
        self.s = services

    def scope(self, work: Any, action: str = "read") -> Scope:
        return scope_of(work, action)

    def builders(
        self, work: Any, app: str, scope: Scope | None = None
    ) -> Callable[[str], DatasetBuilder]:
        reports = self.s.reports
        scope = scope if scope is not None else scope_of(work)
        return lambda table: reports.builder(work, app, table, scope)

    def note_grouping(self, work: Any, builder: DatasetBuilder) -> None:
        version = work.catalog.version
        reports = self.s.reports
        work.after_commit(lambda: reports.noted(version, builder))
