"""What the rule engine needs from the rest of the platform (``services`` supplies it).

Writes take ``also``: a callable run inside the write's own transaction (the executor marks the
action done there, so a replay after a crash never writes twice). Notifications and outbound
webhooks carry an idempotency key per (rule, run, action): the notifier delivers each key once.

``Runtime`` is what the runner (``runner.RuleEngine``) needs to run at all: units of work, the
rule owner's principal, records read as a user, the action ports, in-app messages in bulk.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa

from cairn.auth import SYSTEM, Entry, Principal
from cairn.core import Clock, Event
from cairn.store.catalog import Catalog, TableSchema

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


class TagPorts(Protocol):
    def tag_records(
        self,
        app: str,
        table: str,
        ids: Sequence[int],
        add: Sequence[int],
        remove: Sequence[int],
        also: Also,
    ) -> list[int]:
        """Add and remove tags on the records (as the rule's owner, source ``rule``); the
        records that changed. ``also`` runs in the same transaction."""
        ...


class VersionedWrites(Protocol):
    """One attempt of a rule's update, each step in a transaction of its own: the retry
    around them is the engine's (``retry.update_retrying``)."""

    def live_versions(self, app: str, table: str, ids: Sequence[int]) -> list[tuple[int, int]]:
        """``(id, version)`` of the live records among ``ids``."""
        ...

    def write_versions(self, app: str, table: str, items: list[dict[str, Any]], also: Also) -> None:
        """Write ``items`` (each with ``id`` and the ``version`` it was read at) as the rule's
        owner, ``also`` in the same transaction; ``Conflict`` when a version is stale (then
        nothing is written)."""
        ...

    def only_also(self, also: Also) -> None:
        """Run ``also`` in a transaction of its own (an update that found nothing to write)."""
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


class RecipientPorts(Protocol):
    """Recipients a rule names by role or through the record's owner (``actions.recipients``)."""

    def role_members(self, key: str) -> list[int]:
        """The active users with role ``key``."""
        ...

    def manager_of(self, user_id: int) -> int | None:
        """The user's manager (the manager of their department, as the process engine finds
        it), or None."""
        ...


class RulePorts(RecordPorts, TagPorts, Notifier, ProcessPorts, RecipientPorts, Protocol):
    pass


class Saving(Protocol):
    """What only saving a rule checks, beyond the catalogue: the time (a schedule must fire
    from now on) and whether the users and roles recipients name exist."""

    @property
    def now(self) -> datetime: ...

    def user_exists(self, ref: str) -> bool:
        """Is ``ref`` (an id or a username) an active user?"""
        ...

    def role_exists(self, key: str) -> bool: ...

    def tags_exist(self, app_id: int, ids: Sequence[int]) -> set[int]:
        """Which of ``ids`` are tags of the app."""

    def segment_on_table(self, segment_id: int, table_id: int) -> bool:
        """Is there a segment ``segment_id`` of the records of ``table_id``?"""
        ...

    def score_model_on_table(self, model_id: int, table_id: int) -> bool:
        """Is there a score model ``model_id`` of the records of ``table_id``?"""
        ...


# -- the runner's ports ---------------------------------------------------------------------------
class Work(Protocol):
    """One unit of work: one connection, one transaction (``services.uow.UnitOfWork``); the
    events it emits go to the outbox when it commits."""

    conn: sa.Connection
    now: datetime
    principal: Principal
    events: list[Event]

    @property
    def catalog(self) -> Catalog: ...

    def emit(self, event: Event) -> None: ...


class SavingWork(Work, Protocol):
    """A unit of work that saves rules (``definitions``): a saved rule makes every process
    reload its rules with the catalogue; a new webhook secret goes into the audit log."""

    def schema_changed(self) -> None: ...

    def audit(self, *entries: Entry) -> None: ...


class HandledEvent(Protocol):
    """An outbox event as the dispatcher hands it over (``store.outbox.OutboxEvent``)."""

    @property
    def id(self) -> int: ...

    @property
    def type(self) -> str: ...

    @property
    def table_id(self) -> int | None: ...

    @property
    def record_id(self) -> int | None: ...

    @property
    def payload(self) -> dict[str, Any]: ...

    @property
    def attempts(self) -> int: ...


#: One run's in-app messages: (the message as an action resolved it, its idempotency key).
Messages = Sequence[tuple[dict[str, Any], str]]


class Runtime(Protocol):
    """What the runner needs from the platform to run rules (``services.rule_ports``)."""

    @property
    def clock(self) -> Clock: ...

    def work(
        self, *, write: bool = True, principal: Principal = SYSTEM
    ) -> AbstractContextManager[Work]:
        """A unit of work (``write=False``: it reads; what it emits is written after)."""
        ...

    def owner(self, user_id: int) -> Principal:
        """The principal a rule owned by ``user_id`` runs as; ``Forbidden("rule.owner_gone")``
        when that user is gone or not active."""
        ...

    def read_rows(
        self,
        work: Work,
        schema: TableSchema,
        ids: Sequence[int],
        principal: Principal | None = None,
    ) -> list[dict[str, Any]]:
        """The records as ``principal`` (default: the unit of work's) sees them, in the unit of
        work's transaction; those it may not see or that are gone are left out."""
        ...

    def find_record(
        self, app: str, table: str, field: str, value: Any, principal: Principal
    ) -> dict[str, Any] | None:
        """The first record whose ``field`` equals ``value`` as ``principal`` sees it (at least
        its ``id`` and ``version``), or None."""
        ...

    def titles(self, work: Work, schema: TableSchema, ids: set[int]) -> dict[int, Any]:
        """``{id: title}`` of the records that the unit of work's principal may read (the
        others are left out): what the run log links each run's record by."""
        ...

    def action_ports(self, principal: Principal, meta: dict[str, Any]) -> RulePorts:
        """The ports a run's actions use: writes as ``principal``, their events carry ``meta``."""
        ...

    def send_in_many(
        self, work: Work, groups: Sequence[Messages]
    ) -> list[list[list[dict[str, Any]]] | Exception]:
        """In-app messages of many runs in ``work``'s transaction: per run either its
        deliveries message by message, or the error that made the whole run write nothing."""
        ...
