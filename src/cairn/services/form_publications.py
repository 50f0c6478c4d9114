"""Publishing a form (表单发布), the use cases of the app's managers: read, publish or change,
unpublish, make a signed prefill link, carry publications in app packages.

The logic is the form engine's (``forms/publications.py``, ``forms/offering.py``,
``forms/packages.py``); here each use case opens its unit of work. ``services/public_forms.py``
serves the public side."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Principal
from cairn.forms import packages as form_packages
from cairn.forms import publications
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import TableSchema

if TYPE_CHECKING:
    from cairn.services.context import Services


class PublicationService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def get(self, app: str, table: str, form: str, principal: Principal = SYSTEM) -> dict[str, Any]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = publications.managed(uow, app, table, form)
            return publications.public(uow, s, publications.publication(uow, s, form))

    def put(
        self, app: str, table: str, form: str, body: dict[str, Any], principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        """Publish the form or change its publication (``forms.publications.publish``)."""
        with unit_of_work(self.s, principal=principal) as uow:
            publications.publish(uow, publications.managed(uow, app, table, form), form, body)
        return self.get(app, table, form, principal)

    def delete(self, app: str, table: str, form: str, principal: Principal = SYSTEM) -> None:
        """Unpublish: the address stops answering (a new publication gets a new one)."""
        with unit_of_work(self.s, principal=principal) as uow:
            publications.unpublish(uow, publications.managed(uow, app, table, form), form)

    def link(
        self, app: str, table: str, form: str, body: dict[str, Any], principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        """A link to the public form carrying signed values (``forms.publications.link``)."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = publications.managed(uow, app, table, form)
            return publications.link(uow, s, form, body)

    # -- app packages ---------------------------------------------------------------------
    def export_in(self, uow: UnitOfWork, s: TableSchema) -> list[dict[str, Any]]:
        return form_packages.export_publications(uow, s)

    def import_in(self, uow: UnitOfWork, app: str, table: str, items: Any, loc: str) -> None:
        form_packages.import_publications(uow, app, table, items, loc)
