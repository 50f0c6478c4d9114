"""What the process engine needs from other engines; ``cairn.services`` supplies each.

- ``Notifier``: reminders, breaches and escalations reach people (services: an in-app
  notification through ``services.notify`` plus a timeline entry).
- ``ServiceActions``: a service task's ``cairn:action`` (update record, create record, notify,
  webhook) is a rule-engine action; services wire the rule engine's actions here.
"""

from __future__ import annotations

from typing import Any, Protocol

from cairn.process.model import ServiceAction


class Notifier(Protocol):
    def notify(
        self,
        *,
        instance_id: int,
        user_id: int,
        subject: str,
        body: str,
        link: str,
        key: str,
    ) -> None:
        """Tell ``user_id``; ``key`` makes a repeat (a replayed scan) a no-op."""
        ...


class ServiceActions(Protocol):
    def run(
        self,
        action: ServiceAction,
        *,
        instance_id: int,
        record_id: int | None,
        data: dict[str, Any],
    ) -> dict[str, Any] | None:
        """Run the action; what it returns is merged into the process variables."""
        ...
