"""The form engine's ports (``cairn.forms.ports``) over the services: units of work (those of
``integration_ports``, as a principal) and a visitor's record written through the records'
one write path as the publication's owner."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cairn.auth import Principal
from cairn.services.integration_ports import UnitsOfWork

if TYPE_CHECKING:
    from cairn.services.context import Services

__all__ = ["RecordWrites", "UnitsOfWork"]


class RecordWrites:
    """``forms.ports.RecordWrites``: ``services.records``' writes."""

    def __init__(self, services: Services) -> None:
        self.s = services

    def create(
        self,
        app: str,
        table: str,
        values: dict[str, Any],
        *,
        principal: Principal,
        form: str | None,
        event_meta: dict[str, Any],
        before_commit: Callable[[Any], None],
    ) -> None:
        self.s.records.bulk(
            app,
            table,
            [values],
            single=True,
            return_items=False,
            principal=principal,
            form=form,
            event_meta=event_meta,
            before_commit=before_commit,
        )
