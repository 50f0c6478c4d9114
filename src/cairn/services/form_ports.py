"""The form engine's ports (``cairn.forms.ports``) over the services: units of work (those of
``integration_ports``, as a principal) and a visitor's record written through the records'
one write path as the publication's owner."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.forms import ports
from cairn.services.integration_ports import UnitsOfWork

if TYPE_CHECKING:
    from cairn.services.context import Services

__all__ = ["RecordWrites", "UnitsOfWork"]


class RecordWrites(ports.RecordWrites):
    """``forms.ports.RecordWrites`` (its parameters and what they mean are the port's): the
    one record as a single-item ``services.records.bulk``."""

    def __init__(self, services: Services) -> None:
        self.s = services

    def create(self, app: str, table: str, values: dict[str, Any], **options: Any) -> None:
        self.s.records.bulk(app, table, [values], single=True, return_items=False, **options)
