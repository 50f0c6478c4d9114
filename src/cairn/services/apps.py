"""Apps: create, list, rename, delete into the recycle bin, restore."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Principal
from cairn.core import Invalid, NotFound, key_problem
from cairn.meta import App
from cairn.services.capabilities import app_permissions
from cairn.services.uow import unit_of_work
from cairn.store import system

if TYPE_CHECKING:
    from cairn.services.context import Services


def app_public(app: App, tables: list[Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": app.id,
        "key": app.key,
        "name": app.name,
        "description": app.description,
        "position": app.position,
    }
    if tables is not None:
        out["tables"] = tables
    return out


def check_key(key: Any, location: str = "key") -> str:
    problem = key_problem(key)
    if problem:
        raise Invalid.on(location, problem, key=key)
    return key


def check_name(name: Any, location: str = "name") -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise Invalid.on(
            location,
            "value.too_long" if isinstance(name, str) and name else "field.required",
            max=200,
        )
    return name.strip()


def check_position(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid.on("position", "value.integer")
    return value


def display_updates(data: dict[str, Any]) -> dict[str, Any]:
    """The checked name, description and position changes of an app or a table."""
    values: dict[str, Any] = {}
    if "name" in data:
        values["name"] = check_name(data["name"])
    if "description" in data:
        values["description"] = str(data["description"] or "")
    if "position" in data:
        values["position"] = check_position(data["position"])
    return values


class AppService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def list(self, principal: Principal = SYSTEM) -> list[dict[str, Any]]:
        """The apps ``principal`` manages or has a table of (see ``shown_tables``), each with
        what they may do with it (``permissions``)."""
        from cairn.services.schema import shown_tables

        with unit_of_work(self.s, write=False, principal=principal) as uow:
            out = []
            for a in uow.catalog.live_apps():
                permissions = app_permissions(uow, a)
                if permissions["manage"] or shown_tables(uow, a.id):
                    out.append({**app_public(a), "permissions": permissions})
            return out

    def get(self, key: str, principal: Principal = SYSTEM) -> dict[str, Any]:
        """The app with the tables listed to ``principal``, and what they may do."""
        from cairn.services.schema import shown_tables

        with unit_of_work(self.s, write=False, principal=principal) as uow:
            app = uow.catalog.app(key)
            out = app_public(app, shown_tables(uow, app.id))
            out["permissions"] = app_permissions(uow, app)
            return out

    def create(self, data: dict[str, Any], actor_id: int | None = None) -> dict[str, Any]:
        key = check_key(data.get("key"))
        name = check_name(data.get("name", key))
        description = str(data.get("description") or "")
        with unit_of_work(self.s, actor_id=actor_id) as uow:
            if any(a.key == key for a in uow.catalog.live_apps()):
                raise Invalid.on("key", "key.taken", key=key)
            app_id = uow.insert_definition(
                system.apps,
                key=key,
                name=name,
                description=description,
                position=len(uow.catalog.live_apps()),
                created_at=uow.now,
                updated_at=uow.now,
            )
            return app_public(uow.catalog.apps[app_id], [])

    def update(self, key: str, data: dict[str, Any]) -> dict[str, Any]:
        values = display_updates(data)
        with unit_of_work(self.s) as uow:
            app = uow.catalog.app(key)
            if values:
                uow.update_definitions(system.apps, app.id, **values, updated_at=uow.now)
            return app_public(uow.catalog.apps[app.id])

    def delete(self, key: str) -> None:
        with unit_of_work(self.s) as uow:
            app = uow.catalog.app(key)
            uow.update_definitions(system.apps, app.id, deleted_at=uow.now)

    def restore(self, app_id: int) -> dict[str, Any]:
        with unit_of_work(self.s) as uow:
            app = uow.catalog.apps.get(app_id)
            if app is None or app.deleted_at is None:
                raise NotFound("app.not_found", app=app_id)
            if any(a.key == app.key for a in uow.catalog.live_apps()):
                raise Invalid.on("key", "key.taken", key=app.key)
            uow.update_definitions(system.apps, app.id, deleted_at=None)
            return app_public(uow.catalog.apps[app.id])

    def deleted(self) -> list[dict[str, Any]]:
        with unit_of_work(self.s, write=False) as uow:
            return [
                {**app_public(a), "deleted_at": a.deleted_at.isoformat()}
                for a in uow.catalog.apps.values()
                if a.deleted_at is not None
            ]
