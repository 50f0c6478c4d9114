"""What the process engine needs from the rest of the platform; ``cairn.services`` supplies
each (``services/process_ports.py``).

- ``Work``: one unit of work (``services.uow.UnitOfWork``): a connection in a transaction,
  the time, the catalogue, the events and audit entries written at commit.
- ``ProcessPorts``: opening a unit of work, reading the bound record as the system, a step's
  form written as the acting user and the fields its linkage rules hide (the records' write
  path and the form engine), the working calendar, a ``Notifier`` for an instance, and the
  ``ActionRunner`` of service tasks.
- ``Notifier``: reminders, breaches and escalations reach people (services: an in-app
  notification through ``services.notify`` plus a timeline entry).
- ``ActionRunner``: a service task's ``cairn:action`` list (update record, create record,
  notify, webhook) are rule-engine actions; services runs them.
- ``ServiceActions``: what ``ScriptContext.call_service`` is on every load
  (``process.service_tasks.ServiceTaskRunner.run``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import sqlalchemy as sa

    from cairn.auth import Entry, Principal
    from cairn.core import Event
    from cairn.process.deadlines import WorkdayCalendar, WorkingHours
    from cairn.store import Catalog, TableSchema


class Work(Protocol):
    """One unit of work: one connection, one transaction."""

    conn: sa.Connection
    now: datetime
    principal: Principal
    event_meta: dict[str, Any]
    before_commit: list[Any]

    @property
    def catalog(self) -> Catalog: ...

    def emit(self, event: Event) -> None: ...

    def audit(self, *entries: Entry) -> None: ...

    def checkpoint(self) -> Callable[[], None]:
        """What was collected so far (events, audit entries, hooks); calling the result drops
        what was collected after (a savepoint rolled back)."""
        ...

    def viewed_as(self, principal: Principal) -> Work:
        """This transaction as ``principal`` sees it (a read as the system after the acting
        user wrote)."""
        ...


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


@dataclass(frozen=True)
class ServiceCall:
    """One action of a service task, as the rule engine runs it."""

    schema: TableSchema
    record_id: int | None
    process_key: str
    step_name: str
    index: int
    #: The idempotency key: ``process:<instance>:<run>:<index>``.
    key: str


class ActionRunner(Protocol):
    """The rule engine's actions, as service tasks run them."""

    def compile(self, work: Work, schema: TableSchema | None, actions: Any, loc: str) -> Any:
        """A service task's action list, parsed and checked against the table (``Invalid``
        when it does not fit); the result has ``specs``, each with a ``type``."""
        ...

    def is_local(self, spec: Any) -> bool:
        """Does the action only write to the database (then it runs in the step's
        transaction)?"""
        ...

    def run_local(self, work: Work, compiled: Any, call: ServiceCall) -> Any:
        """Run a local action in ``work``'s transaction as the system, in a savepoint (rolled
        back, with what it collected, when it raises); its result."""
        ...

    def deliver(self, compiled: Any, call: ServiceCall, also: Callable[[Work, Any], None]) -> None:
        """Send an outside delivery (no transaction open), then call ``also`` in a
        transaction; raises when it failed (``retryable`` says whether a retry may cure it)."""
        ...


class ProcessPorts(Protocol):
    actions: ActionRunner

    def work(
        self, *, write: bool = True, principal: Principal | None = None
    ) -> AbstractContextManager[Work]:
        """A new unit of work (of the system unless ``principal``)."""
        ...

    def read_record(
        self,
        work: Work,
        schema: TableSchema | None,
        record_id: int | None,
        expand: Sequence[str] = (),
    ) -> dict[str, Any]:
        """The bound record as the system sees it (as the records API shows it, the relation
        fields in ``expand`` as the linked records); {} if none."""
        ...

    def write_form(
        self,
        work: Work,
        schema: TableSchema,
        values: dict[str, Any],
        *,
        form: str | None,
        form_fields: frozenset[str] | None,
    ) -> None:
        """Write one record (``values`` with its ``id`` and ``version``) in ``work``'s
        transaction as its principal, through the records' one write path (validation,
        permissions, history, outbox), obeying form ``form``'s linkage rules over
        ``form_fields`` (None: all fields). Refusals raise as that path's do."""
        ...

    def hidden_fields(
        self, work: Work, schema: TableSchema, form: str | None, record: dict[str, Any]
    ) -> frozenset[str]:
        """The fields form ``form``'s linkage rules hide for ``record`` (the form engine's)."""
        ...

    def working_time(self, conn: sa.Connection) -> tuple[WorkdayCalendar, WorkingHours]:
        """The working calendar and working hours (process deadlines in working time)."""
        ...

    def notifier(self, work: Work, instance: Any) -> Notifier:
        """Notifications about ``instance`` (a row), in ``work``'s transaction."""
        ...
