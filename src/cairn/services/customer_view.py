"""The customer 360° view of an app: which table holds the customers, which of its fields are the
key metrics, and which relations appear on the page, in order. Stored as an app setting."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.core import Invalid
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import app_settings
from cairn.store.customer_view import EMPTY, KEY, checked, current

if TYPE_CHECKING:
    from cairn.services.context import Services


class CustomerViewService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def get(self, app_key: str) -> dict[str, Any]:
        with unit_of_work(self.s, write=False) as uow:
            app = uow.catalog.app(app_key)
            stored = app_settings.get(uow.conn, app.id, KEY)
            return current(uow.catalog, app_key, stored or EMPTY)

    def put(self, app_key: str, data: Any) -> dict[str, Any]:
        with unit_of_work(self.s) as uow:
            app = uow.catalog.app(app_key)
            value = checked(uow.catalog, app_key, data)
            app_settings.put(uow.conn, app.id, KEY, value, uow.now)
            return value

    def export_in(self, uow: UnitOfWork, app_key: str) -> dict[str, Any] | None:
        """The view as an app package carries it; None when the app has none."""
        app = uow.catalog.app(app_key)
        value = current(uow.catalog, app_key, app_settings.get(uow.conn, app.id, KEY) or EMPTY)
        return value if value["table"] else None

    def import_in(self, uow: UnitOfWork, app_key: str, data: Any) -> None:
        """Set the view from a package (inside the import's transaction); errors name the
        package's ``customer_view``."""
        try:
            value = checked(uow.catalog, app_key, data)
        except Invalid as e:
            raise e.under("customer_view") from None
        app_settings.put(uow.conn, uow.catalog.app(app_key).id, KEY, value, uow.now)
