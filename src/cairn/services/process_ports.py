"""The process engine's ports (``cairn.process.ports``), implemented over the services:
units of work, records read as the system, a step's form written through the records' write
path and its hidden fields by the form engine, the working calendar, in-app notifications,
and the rule engine's actions for service tasks."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from cairn.auth import SYSTEM, Principal, audit
from cairn.forms import runtime as form_runtime
from cairn.formula import Formula
from cairn.process import repo
from cairn.process.deadlines import WorkingHours
from cairn.process.ports import ServiceCall, Work
from cairn.rules import RunContext, evaluate
from cairn.services import rule_actions
from cairn.services.notify import ChannelError, OutboundMessage
from cairn.services.rule_ports import ServicePorts
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import TableSchema

if TYPE_CHECKING:
    from cairn.core.workcalendar import WorkCalendar
    from cairn.services.context import Services


@dataclass(frozen=True)
class Compiled:
    specs: list[Any]
    formulas: dict[str, Formula]


def _nothing(*args: Any) -> None:
    return None


class ProcessNotifier:
    """The process engine's ``Notifier``: an in-app notification (``services.notify``, in the
    same transaction as the alarm that caused it) and a "notified" entry in the timeline."""

    def __init__(self, services: Services, uow: UnitOfWork, row: Any) -> None:
        self.s = services
        self.uow = uow
        self.row = row

    def notify(
        self, *, instance_id: int, user_id: int, subject: str, body: str, link: str, key: str
    ) -> None:
        error = None
        try:
            self.s.notify.send_in(
                self.uow,
                OutboundMessage(
                    channel="inapp",
                    recipients=[f"user:{user_id}"],
                    subject=subject,
                    body=body,
                    link=link,
                    app_id=self.row.app_id,
                    table_id=self.row.table_id,
                    record_id=self.row.record_id,
                    idempotency_key=f"process:{key}",
                ),
            )
        except ChannelError as e:  # recorded with the alarm; the escalation itself stands
            error = str(e)
        details = {"to": user_id, "subject": subject, "body": body, "link": link, "key": key}
        if error:
            details["error"] = error
        repo.add_event(
            self.uow.conn,
            instance_id=instance_id,
            action="notified",
            details=details,
            at=self.uow.now,
        )


class RuleActionRunner:
    """``process.ports.ActionRunner``: service tasks run the rule engine's actions."""

    def __init__(self, services: Services) -> None:
        self.s = services

    def compile(self, work: Work, schema: TableSchema | None, actions: Any, loc: str) -> Compiled:
        specs = rule_actions.parse_actions(actions, loc)
        formulas = rule_actions.check_actions(self.s, work, schema, specs, loc)  # type: ignore[arg-type]
        return Compiled(specs, formulas)

    def is_local(self, spec: Any) -> bool:
        return rule_actions.is_local(self.s, spec)

    def _context(self, uow: UnitOfWork, c: Compiled, call: ServiceCall) -> RunContext:
        """The rule engine's ``RunContext`` over the record as it is now (system view)."""
        schema, record_id = call.schema, call.record_id
        values = (
            evaluate(uow.conn, uow.catalog, schema, record_id, c.formulas, self.s.clock) or {}
            if c.formulas
            else {}
        )
        rows = self.s.records.read_rows(uow, schema, [record_id]) if record_id else []
        info = rule_actions.rule_info(uow.catalog, schema, call.process_key, call.step_name)
        info["link"] = f"/apps/{schema.app.key}/tables/{schema.table.key}/records/{record_id}"
        return RunContext(info, record_id, rows[0] if rows else {}, values, call.index)

    def run_local(self, work: Work, compiled: Any, call: ServiceCall) -> Any:
        uow: UnitOfWork = work  # type: ignore[assignment]
        system = UnitOfWork(self.s, uow.conn, None, SYSTEM)  # writes as the system
        try:
            with uow.conn.begin_nested():
                ctx = self._context(system, compiled, call)
                spec = compiled.specs[call.index]
                ports = rule_actions.InlinePorts(self.s, system)
                result = rule_actions.run_action(self.s, spec, ctx, ports, call.key, _nothing)
                if system.audit_entries:
                    audit.append(uow.conn, uow.now, SYSTEM, system.audit_entries)
        except Exception:
            system.events.clear()
            system.audit_entries.clear()
            system.before_commit.clear()
            raise
        uow.adopt(system)
        return result

    def deliver(self, compiled: Any, call: ServiceCall, also: Callable[[Work, Any], None]) -> None:
        with unit_of_work(self.s, write=False) as uow:
            ctx = self._context(uow, compiled, call)
        ports = ServicePorts(self.s, SYSTEM, {})
        rule_actions.run_action(self.s, compiled.specs[call.index], ctx, ports, call.key, also)


class ServicesProcessPorts:
    """``process.ports.ProcessPorts`` over the services."""

    def __init__(self, services: Services) -> None:
        self.s = services
        self.actions = RuleActionRunner(services)

    @contextmanager
    def work(
        self, *, write: bool = True, principal: Principal | None = None
    ) -> Iterator[UnitOfWork]:
        with unit_of_work(self.s, write=write, principal=principal or SYSTEM) as uow:
            yield uow

    def read_record(
        self,
        work: Work,
        schema: TableSchema | None,
        record_id: int | None,
        expand: Sequence[str] = (),
    ) -> dict[str, Any]:
        if schema is None or record_id is None:
            return {}
        rows = self.s.records.read_rows(work, schema, [record_id], expand)  # type: ignore[arg-type]
        return rows[0] if rows else {}

    def write_form(
        self,
        work: Work,
        schema: TableSchema,
        values: dict[str, Any],
        *,
        form: str | None,
        form_fields: frozenset[str] | None,
    ) -> None:
        self.s.records.bulk_in(
            work,  # type: ignore[arg-type]
            schema.app.key,
            schema.table.key,
            [values],
            single=True,
            return_items=False,
            form=form,
            form_fields=form_fields,
        )

    def hidden_fields(
        self, work: Work, schema: TableSchema, form: str | None, record: dict[str, Any]
    ) -> frozenset[str]:
        state = form_runtime.state_of(work, schema, form, record)  # type: ignore[arg-type]
        return state.hidden if state is not None else frozenset()

    def working_time(self, conn: sa.Connection) -> tuple[WorkCalendar, WorkingHours]:
        return self.s.calendar.calendar(conn), self.s.calendar.hours(conn)

    def notifier(self, work: Work, instance: Any) -> ProcessNotifier:
        return ProcessNotifier(self.s, work, instance)  # type: ignore[arg-type]
