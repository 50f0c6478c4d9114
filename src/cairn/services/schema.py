"""Tables, fields and form layouts as one service (``services.schema``): the use cases live in
``services/tables.py``, ``services/fields.py`` and ``services/layouts.py``; the public shapes
of definitions in ``query/definitions.py``, the layouts' rules in ``meta/layouts.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cairn.services.fields import FieldService
from cairn.services.layouts import LayoutService
from cairn.services.numbering import NumberingService
from cairn.services.tables import TableService

if TYPE_CHECKING:
    from cairn.services.context import Services


class SchemaService(TableService, FieldService, LayoutService, NumberingService):
    """Every use case of tables, fields, layouts and numbering previews (what the api routers,
    packages and templates call)."""

    def __init__(self, services: Services) -> None:
        TableService.__init__(self, services)


__all__ = ["SchemaService"]
