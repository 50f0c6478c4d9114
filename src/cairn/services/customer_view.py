"""The customer 360° view of an app: which table holds the customers, which of its fields are the
key metrics, which relations appear on the page, in order, and which date or date-time field of
the customers' is their last contact (``last_contact_field``: moved forward by every interaction
logged, ``services.interactions``). Stored as an app setting."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.core import Invalid, Message
from cairn.insight import timeline_config
from cairn.insight.timeline import source_indexes
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import app_settings
from cairn.store.customer_view import EMPTY, KEY
from cairn.store.customer_view import checked as view_checked
from cairn.store.customer_view import current as view_current
from cairn.store.timeline import ensure_indexes

#: The key of the view naming the customers' last-contact field.
LAST_CONTACT = "last_contact_field"
#: The field types a last contact may be kept in.
LAST_CONTACT_TYPES = ("date", "datetime")

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
            wanted = self._timeline_indexes(uow, app_key, value)
        # The (date, id) index each source's page walks, built once the setting is saved
        # (outside its transaction: PostgreSQL builds it CONCURRENTLY).
        ensure_indexes(self.s.engine, wanted)
        return value

    def timeline(self, uow: UnitOfWork, app_key: str, table_key: str) -> dict[str, Any]:
        """The timeline config of ``table_key`` (the default, without sources, when it is not
        the app's customer table)."""
        app = uow.catalog.app(app_key)
        value = current(uow.catalog, app_key, app_settings.get(uow.conn, app.id, KEY) or EMPTY)
        if value["table"] != table_key or "timeline" not in value:
            return timeline_config.checked(uow.catalog, uow.catalog.table(app_key, table_key), None)
        return value["timeline"]

    def _timeline_indexes(
        self, uow: UnitOfWork, app_key: str, value: dict[str, Any]
    ) -> list[tuple[int, str]]:
        """(table id, date column) of the sources: the indexes their pages walk."""
        if not value.get("table") or "timeline" not in value:
            return []
        customer = uow.catalog.table(app_key, value["table"])
        return source_indexes(timeline_config.resolve(uow.catalog, customer, value["timeline"]))

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


def checked(catalog: Any, app_key: str, data: Any) -> dict[str, Any]:
    """The view as stored: its table, metrics and sections (``store.customer_view``), its
    timeline (``insight.timeline_config``) and its last-contact field, every error at once."""
    errors: dict[str, Any] = {}
    last_contact = data.get(LAST_CONTACT) if isinstance(data, dict) else None
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k != LAST_CONTACT}
    try:
        value = view_checked(catalog, app_key, data)
    except Invalid as e:
        if not e.field_errors or "body" in e.field_errors or "table" in e.field_errors:
            raise
        errors.update(e.field_errors)
        value = None
    timeline = data.get("timeline") if isinstance(data, dict) else None
    if timeline is not None:
        try:
            checked_timeline = timeline_config.checked(
                catalog, catalog.table(app_key, data["table"]), timeline
            )
        except Invalid as e:
            errors.update(e.field_errors or {"timeline": [e.message]})
        else:
            if value is not None:
                value["timeline"] = checked_timeline
    if last_contact is not None:
        table = data.get("table") if isinstance(data, dict) else None
        if not table:
            raise Invalid.on("table", "field.required")
        customer = catalog.table(app_key, table)
        if not last_contact_field(customer, last_contact):
            errors[LAST_CONTACT] = [
                Message("interaction.last_contact_field", {"field": last_contact})
            ]
        elif value is not None:
            value[LAST_CONTACT] = last_contact
    if errors:
        raise Invalid("invalid.input", errors)
    assert value is not None
    return value


def last_contact_field(customer: Any, key: Any) -> Any:
    """The field ``key`` of the customer table when it may hold the last contact (a stored
    date or date-time field, not encrypted); else None."""
    f = customer.by_key.get(key) if isinstance(key, str) else None
    if f is None or f.sensitive or customer.type_of(f).key not in LAST_CONTACT_TYPES:
        return None
    return f


def current(catalog: Any, app_key: str, stored: dict[str, Any]) -> dict[str, Any]:
    """The stored view less what was deleted since, its timeline too."""
    value = view_current(catalog, app_key, stored)
    if value["table"] and "timeline" in value:
        customer = catalog.table(app_key, value["table"])
        value["timeline"] = timeline_config.current(catalog, customer, value["timeline"])
    field = stored.get(LAST_CONTACT)
    customer = catalog.table(app_key, value["table"]) if value["table"] and field else None
    if customer is not None and last_contact_field(customer, field) is not None:
        value[LAST_CONTACT] = field
    return value
