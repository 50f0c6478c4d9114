"""What the process engine needs from other engines; ``cairn.services`` supplies each.

- ``Notifier``: reminders, breaches and escalations reach people (services: an in-app
  notification through ``services.notify`` plus a timeline entry).
- ``ServiceActions``: a service task's ``cairn:action`` list (update record, create record,
  notify, webhook) are rule-engine actions; ``services.service_tasks`` runs them, handed in as
  ``ScriptContext.call_service`` on every load.
"""

from __future__ import annotations

from typing import Any, Protocol


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
    def __call__(self, step_id: str, task_id: str, data: dict[str, Any]) -> bool:
        """Go on with the actions of service task ``step_id`` (engine task ``task_id``): True
        when all are done (the task completes), False when it waits for them (queued
        deliveries, or a failure recorded as an incident); ``Run.finish_service`` completes
        it later."""
        ...
