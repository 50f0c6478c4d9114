"""Directory sync from WeCom / DingTalk (administrators): sync now, the runs, and the nightly
sync. The import itself is the integration engine's (``integrations/directory_import.py``),
wired here to the units of work and the stored configs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import Principal, require_admin
from cairn.core import Invalid
from cairn.integrations.directory_import import DirectoryImport
from cairn.services.integration_ports import StoredConfigs, UnitsOfWork

if TYPE_CHECKING:
    from cairn.services.context import Services


class DirectorySyncService:
    def __init__(self, services: Services) -> None:
        self.importer = DirectoryImport(
            services.channels, UnitsOfWork(services), StoredConfigs(services)
        )

    def sync(self, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
        """Sync now from the config named ``body["channel"]``: the run with its report."""
        require_admin(principal)
        key = body.get("channel")
        if not isinstance(key, str) or not key:
            raise Invalid.on("channel", "field.required")
        return self.importer.run(key, "manual", principal)

    def runs(
        self, principal: Principal, channel: str | None = None, limit: int = 20
    ) -> dict[str, Any]:
        require_admin(principal)
        return {"items": self.importer.runs(channel, limit)}

    def daily(self) -> list[dict[str, Any]]:
        """The nightly sync of every enabled config with ``daily_sync`` on (worker)."""
        return self.importer.daily()
