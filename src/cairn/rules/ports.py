"""What the rule engine needs from the rest of the platform (``services`` supplies it).

Writes take ``also``: a callable run inside the write's own transaction (the executor marks the
action done there, so a replay after a crash never writes twice). Notifications and outbound
webhooks carry an idempotency key per (rule, run, action): the notifier delivers each key once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

#: Runs inside the transaction of an action's effect: (the unit of work, the action's result;
#: None for a record write: the records written are in the unit of work's events).
Also = Callable[..., None]


class RecordPorts(Protocol):
    def update_records(
        self, app: str, table: str, ids: Sequence[int], values: dict[str, Any], also: Also
    ) -> list[int]:
        """Update each record (as the rule's owner); the ids written."""
        ...

    def create_record(self, app: str, table: str, values: dict[str, Any], also: Also) -> int:
        """Create a record (as the rule's owner); its id."""
        ...


class Notifier(Protocol):
    """Notification channels: in-app, e-mail, SMS, WeCom, DingTalk, outbound webhooks."""

    def render(self, template: str, context: dict[str, Any]) -> str:
        """A message template over the record (sandboxed); a bad template raises ``Invalid``."""
        ...

    def check_template(self, template: str, loc: str, known: Sequence[str] | None = None) -> None:
        """Refuse a template that does not parse or reads other names than ``known``
        (``Invalid`` at ``loc``)."""
        ...

    def channels(self) -> Sequence[str]:
        """The kinds of channel this installation has (``inapp``, ``email`` …)."""
        ...

    def send(self, message: dict[str, Any], *, key: str, also: Also) -> list[dict[str, Any]]:
        """Deliver ``message`` (channel, recipients, subject, body, link, data, url …) once per
        ``key``, then call ``also`` in a transaction (in-app: the one that writes the
        notifications); raises an error with ``retryable`` True when a retry may succeed."""
        ...


class ProcessPorts(Protocol):
    def process_exists(self, app: str, key: str) -> bool:
        """Has ``app`` a deployed process ``key``?"""
        ...

    def start_process(self, app: str, key: str, record_id: int, also: Also) -> int:
        """Start process ``key`` on the record for the rule's owner; the instance id."""
        ...


class RulePorts(RecordPorts, Notifier, ProcessPorts, Protocol):
    pass
