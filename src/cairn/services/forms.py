"""Forms of a table (表单), the use cases: list, read, add, change and delete its forms (its
default form and its variants), a new record's starting values, the variants in app
packages. Read by whoever reads the table, designed by its managers.

The logic is the form engine's (``forms/variants.py``; the linkage runtime record writes run
is ``forms/runtime.py``); here each use case opens its unit of work and checks what the
caller is shown."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Principal
from cairn.forms import DEFAULT, variants
from cairn.forms import packages as form_packages
from cairn.services.shown import listed_or_403, unlisted
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import TableSchema

if TYPE_CHECKING:
    from cairn.services.context import Services


class FormService:
    def __init__(self, services: Services) -> None:
        self.s = services

    # -- reads ----------------------------------------------------------------------------------
    def list(self, app: str, table: str, principal: Principal = SYSTEM) -> dict[str, Any]:
        """The table's forms (its default form first) and the key of the one the caller
        opens by default."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            listed_or_403(uow, s)
            return variants.summaries(uow, s)

    def get(self, app: str, table: str, key: str, principal: Principal = SYSTEM) -> dict[str, Any]:
        """One form as a form page needs it, without the fields the caller may not see."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            hidden = unlisted(uow, s, listed_or_403(uow, s))
            return variants.page(uow, s, key, hidden)

    def defaults(
        self, app: str, table: str, form: str | None = None, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        """A new record's values before the user types, as form ``form`` starts it."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            listed_or_403(uow, s)
            return variants.defaults(uow, s, form)

    # -- writes ---------------------------------------------------------------------------------
    def create(
        self, app: str, table: str, body: dict[str, Any], principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        with unit_of_work(self.s, principal=principal) as uow:
            variants.add(uow, uow.catalog.table(app, table), body)
        return self.get(app, table, body["key"], principal)

    def update(
        self, app: str, table: str, key: str, body: Any, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        """Change a variant's name, layout (with its rules), roles or position; ``version``,
        when given, must be the current one (409 otherwise). The default form is the table's
        layout: only its ``layout`` changes here (as ``PUT …/layout``)."""
        variants.check_change(key, body)
        if key == DEFAULT:
            if "layout" in body:
                self.s.schema.set_layout(principal, app, table, body["layout"])
        else:
            with unit_of_work(self.s, principal=principal) as uow:
                variants.change(uow, uow.catalog.table(app, table), key, body)
        return self.get(app, table, key, principal)

    def delete(self, app: str, table: str, key: str, principal: Principal = SYSTEM) -> None:
        """Delete a variant and its publication (the default form stays)."""
        variants.refuse_default(key)
        with unit_of_work(self.s, principal=principal) as uow:
            variants.remove(uow, uow.catalog.table(app, table), key)

    # -- app packages ---------------------------------------------------------------------------
    def export_in(self, uow: UnitOfWork, s: TableSchema) -> list[dict[str, Any]]:
        return form_packages.export_variants(uow, s)

    def import_in(self, uow: UnitOfWork, app: str, table: str, items: Any, loc: str) -> None:
        form_packages.import_variants(uow, app, table, items, loc)
