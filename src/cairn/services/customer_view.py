"""The customer 360° view of an app: which table holds the customers, which of its fields are the
key metrics, and which relations appear on the page, in order. Stored as an app setting."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.core import Invalid, Message, NotFound
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import app_settings

if TYPE_CHECKING:
    from cairn.services.context import Services

KEY = "customer_view"
EMPTY: dict[str, Any] = {"table": None, "metrics": [], "sections": []}


class CustomerViewService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def get(self, app_key: str) -> dict[str, Any]:
        with unit_of_work(self.s, write=False) as uow:
            app = uow.catalog.app(app_key)
            stored = app_settings.get(uow.conn, app.id, KEY)
            return self._current(uow.catalog, app_key, stored or EMPTY)

    def put(self, app_key: str, data: Any) -> dict[str, Any]:
        with unit_of_work(self.s) as uow:
            app = uow.catalog.app(app_key)
            value = self._check(uow.catalog, app_key, data)
            app_settings.put(uow.conn, app.id, KEY, value, uow.now)
            return value

    def export_in(self, uow: UnitOfWork, app_key: str) -> dict[str, Any] | None:
        """The view as an app package carries it; None when the app has none."""
        app = uow.catalog.app(app_key)
        value = self._current(
            uow.catalog, app_key, app_settings.get(uow.conn, app.id, KEY) or EMPTY
        )
        return value if value["table"] else None

    def import_in(self, uow: UnitOfWork, app_key: str, data: Any) -> None:
        """Set the view from a package (inside the import's transaction); errors name the
        package's ``customer_view``."""
        try:
            value = self._check(uow.catalog, app_key, data)
        except Invalid as e:
            raise e.under("customer_view") from None
        app_settings.put(uow.conn, uow.catalog.app(app_key).id, KEY, value, uow.now)

    @staticmethod
    def _check(catalog: Any, app_key: str, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict) or set(data) - {"table", "metrics", "sections"}:
            raise Invalid.on("body", "customer_view.shape")
        table = data.get("table")
        metrics = data.get("metrics") or []
        sections = data.get("sections") or []
        if table is None:
            if metrics or sections:
                raise Invalid.on("table", "field.required")
            return dict(EMPTY)
        if (
            not isinstance(table, str)
            or not isinstance(metrics, list)
            or not isinstance(sections, list)
        ):
            raise Invalid.on("body", "customer_view.shape")
        schema = catalog.table(app_key, table)  # NotFound → 404 naming the table
        errors: dict[str, list[Message]] = {}
        for i, key in enumerate(metrics):
            if not isinstance(key, str) or key not in schema.by_key:
                errors.setdefault(f"metrics.{i}", []).append(Message("field.unknown", {"key": key}))
            elif metrics.index(key) != i:
                errors.setdefault(f"metrics.{i}", []).append(
                    Message("customer_view.duplicate", {"field": key})
                )
        relations: list[str] = []
        for i, section in enumerate(sections):
            rel = section.get("relation") if isinstance(section, dict) else None
            f = schema.by_key.get(rel) if isinstance(rel, str) else None
            if f is None or f.type != "relation":
                errors.setdefault(f"sections.{i}.relation", []).append(
                    Message("customer_view.relation", {"field": rel})
                )
            elif rel in relations:
                errors.setdefault(f"sections.{i}.relation", []).append(
                    Message("customer_view.duplicate", {"field": rel})
                )
            else:
                relations.append(rel)
        if errors:
            raise Invalid("invalid.input", errors)
        return {
            "table": table,
            "metrics": list(metrics),
            "sections": [{"relation": r} for r in relations],
        }

    @staticmethod
    def _current(catalog: Any, app_key: str, value: dict[str, Any]) -> dict[str, Any]:
        """The stored view less what was deleted since (a table, a field)."""
        table = value.get("table")
        if not table:
            return dict(EMPTY)
        try:
            schema = catalog.table(app_key, table)
        except NotFound:  # the table went to the recycle bin
            return dict(EMPTY)
        return {
            "table": table,
            "metrics": [k for k in value.get("metrics", []) if k in schema.by_key],
            "sections": [
                s
                for s in value.get("sections", [])
                if (f := schema.by_key.get(s.get("relation"))) is not None and f.type == "relation"
            ],
        }
