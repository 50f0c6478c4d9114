"""Apps: create, list, rename, delete into the recycle bin, restore."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Principal
from cairn.core import Invalid, NotFound
from cairn.meta.checks import check_key, check_name, display_updates
from cairn.query.definitions import app_public
from cairn.services.capabilities import app_permissions
from cairn.services.shown import shown_tables
from cairn.services.uow import unit_of_work
from cairn.store import system

if TYPE_CHECKING:
    from cairn.services.context import Services


class AppService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def list(self, principal: Principal = SYSTEM) -> list[dict[str, Any]]:
        """The apps ``principal`` manages or has a table of (see ``shown_tables``), each with
        what they may do with it (``permissions``)."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            out = []
            for a in uow.catalog.live_apps():
                permissions = app_permissions(uow, a)
                if permissions["manage"] or shown_tables(uow, a.id):
                    out.append({**app_public(a), "permissions": permissions})
            return out

    def get(self, key: str, principal: Principal = SYSTEM) -> dict[str, Any]:
        """The app with the tables listed to ``principal``, and what they may do."""
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
