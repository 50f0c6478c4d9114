"""The rule engine's ports over the services (``cairn.rules.ports``).

- ``RuleRuntime``: what the runner needs (units of work, the rule owner's principal, records
  read as a user, the action ports, in-app messages in bulk).
- ``ServicePorts``: a run's actions, each write in its own unit of work as the rule's owner,
  carrying the loop depth (an update's retry after a lost race is the engine's:
  ``rules.retry``); ``InlinePorts``: the same inside a caller's unit of work (a process
  service task), so a database write commits with the caller's change.
- ``ChannelNotifier``: ``rules.ports.Notifier`` over the notification channels.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Principal, departments
from cairn.core import Clock, Forbidden, Invalid, NotFound
from cairn.integrations import templates
from cairn.process import assignees as people
from cairn.rules.ports import Messages, RulePorts
from cairn.rules.retry import update_retrying
from cairn.services.notify import OutboundMessage
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import rules as store
from cairn.store import users
from cairn.store.catalog import TableSchema

if TYPE_CHECKING:
    from cairn.services.context import Services


def outbound(message: dict[str, Any], key: str) -> OutboundMessage:
    """A ports message (``Notify.resolve`` / ``Webhook.resolve``) as a ``notify`` message."""
    return OutboundMessage(
        channel=message["channel"],
        recipients=list(message.get("recipients") or []),
        subject=message.get("subject") or "",
        body=message.get("body") or "",
        link=message.get("link") or None,
        data=message.get("data") or {},
        url=message.get("url"),
        app_id=message.get("app_id"),
        table_id=message.get("table_id"),
        record_id=message.get("record_id"),
        idempotency_key=key,
        rule_id=message.get("rule_id"),
        run_id=message.get("run_id"),
    )


def deliveries(ds: Any) -> list[dict[str, Any]]:
    """Deliveries as a run log keeps them (``id``: the delivery row, outside channels)."""
    return [
        {
            "channel": d.channel,
            "recipient": d.recipient,
            "status": d.status,
            **({"id": d.detail["delivery_id"]} if "delivery_id" in d.detail else {}),
            **({"replayed": True} if d.replayed else {}),
        }
        for d in ds
    ]


class RuleRuntime:
    """``rules.ports.Runtime`` over the services."""

    def __init__(self, services: Services) -> None:
        self.s = services

    @property
    def clock(self) -> Clock:
        return self.s.clock

    def work(
        self, *, write: bool = True, principal: Principal = SYSTEM
    ) -> AbstractContextManager[UnitOfWork]:
        return unit_of_work(self.s, write=write, principal=principal)

    def owner(self, user_id: int) -> Principal:
        with unit_of_work(self.s, write=False) as uow:
            row = users.account(uow.conn, user_id)
        if row is None or row.status != "active":
            raise Forbidden("rule.owner_gone")
        return Principal(row.id, row.username, bool(row.is_admin), "rule")

    def read_rows(
        self,
        work: Any,
        schema: TableSchema,
        ids: Sequence[int],
        principal: Principal | None = None,
    ) -> list[dict[str, Any]]:
        uow: UnitOfWork = work
        if principal is not None:
            uow = uow.viewed_as(principal)  # the same transaction
        return self.s.records.read_rows(uow, schema, ids)

    def find_record(
        self, app: str, table: str, field: str, value: Any, principal: Principal
    ) -> dict[str, Any] | None:
        found = self.s.records.query(
            app,
            table,
            filter={"field": field, "op": "eq", "value": value},
            limit=1,
            fields=[field],
            principal=principal,
        )["items"]
        return found[0] if found else None

    def titles(self, work: Any, schema: TableSchema, ids: set[int]) -> dict[int, Any]:
        return self.s.records.titles(work, schema, ids)

    def action_ports(self, principal: Principal, meta: dict[str, Any]) -> RulePorts:
        return ServicePorts(self.s, principal, meta)

    def send_in_many(
        self, work: Any, groups: Sequence[Messages]
    ) -> list[list[list[dict[str, Any]]] | Exception]:
        messages = [[outbound(m, key) for m, key in g] for g in groups]
        out: list[list[list[dict[str, Any]]] | Exception] = []
        for o in self.s.notify.send_in_many(work, messages):
            out.append(o if isinstance(o, Exception) else [deliveries(ds) for ds in o])
        return out


class NotifierPorts:
    """The part of ``rules.ports.RulePorts`` both port sets share: message templates and the
    channels, through ``services.notifier``."""

    s: Services

    def render(self, template: str, context: dict[str, Any]) -> str:
        return self.s.notifier.render(template, context)

    def check_template(self, template: str, loc: str, known: Any = None) -> None:
        self.s.notifier.check_template(template, loc, known)

    def channels(self) -> list[str]:
        return list(self.s.notifier.channels())

    def role_members(self, key: str) -> list[int]:
        with unit_of_work(self.s, write=False) as uow:
            return people.members(uow.conn, f"role:{key}")

    def manager_of(self, user_id: int) -> int | None:
        with unit_of_work(self.s, write=False) as uow:
            return departments.manager_of(uow.conn, user_id)


class ServicePorts(NotifierPorts):
    """The rule engine's ports over the services: writes as the rule's owner, carrying the
    loop depth; notifications through ``services.notifier``."""

    def __init__(self, services: Services, principal: Principal, meta: dict[str, Any]) -> None:
        self.s = services
        self.principal = principal
        self.meta = meta

    def update_records(
        self, app: str, table: str, ids: Any, values: dict[str, Any], also: Any
    ) -> list[int]:
        return update_retrying(self, app, table, ids, values, also)

    def live_versions(self, app: str, table: str, ids: Sequence[int]) -> list[tuple[int, int]]:
        with unit_of_work(self.s, write=False) as uow:
            t = uow.catalog.table(app, table).sa_table
            return store.live_versions(uow.conn, t, ids)

    def write_versions(self, app: str, table: str, items: list[dict[str, Any]], also: Any) -> None:
        self.s.records.bulk(
            app,
            table,
            items,
            principal=self.principal,
            return_items=False,
            event_meta=self.meta,
            before_commit=also,
        )

    def only_also(self, also: Any) -> None:
        with unit_of_work(self.s) as uow:
            also(uow)

    def create_record(self, app: str, table: str, values: dict[str, Any], also: Any) -> int:
        written = self.s.records.bulk(
            app,
            table,
            [values],
            principal=self.principal,
            single=True,
            return_items=False,
            event_meta=self.meta,
            before_commit=also,
        )
        return int(written["ids"][0])

    def tag_records(
        self, app: str, table: str, ids: Any, add: Any, remove: Any, also: Any
    ) -> list[int]:
        with unit_of_work(self.s, principal=self.principal) as uow:
            uow.event_meta.update(self.meta)
            changed = self.s.tags.as_rule_in(uow, app, table, ids, add, remove)
            also(uow)
            return changed

    def process_exists(self, app: str, key: str) -> bool:
        try:
            self.s.processes.get_definition(app, key)
        except NotFound:
            return False
        return True

    def start_process(self, app: str, key: str, record_id: int, also: Any) -> int:
        started = self.s.processes.start_for_rule(
            app,
            key,
            record_id,
            self.principal.user_id,
            before_commit=also,
            event_meta=self.meta,
        )
        return int(started["id"])

    def send(self, message: dict[str, Any], *, key: str, also: Any) -> list[dict[str, Any]]:
        return self.s.notifier.send(message, key=key, also=also)


class InlinePorts(NotifierPorts):
    """``rules.ports.RulePorts`` inside one unit of work: record writes and in-app
    notifications join its transaction (outside channels are refused: they must not run in a
    transaction; the caller hands those to the outbox)."""

    def __init__(self, services: Services, uow: UnitOfWork) -> None:
        self.s = services
        self.uow = uow

    def update_records(
        self, app: str, table: str, ids: Any, values: dict[str, Any], also: Any
    ) -> list[int]:
        t = self.uow.catalog.table(app, table).sa_table
        versions = store.live_versions(self.uow.conn, t, ids)
        if versions:
            items = [{**values, "id": rid, "version": v} for rid, v in versions]
            self.s.records.bulk_in(self.uow, app, table, items, single=True, return_items=False)
        also(self.uow)
        return [rid for rid, _ in versions]

    def create_record(self, app: str, table: str, values: dict[str, Any], also: Any) -> int:
        written = self.s.records.bulk_in(
            self.uow, app, table, [values], single=True, return_items=False
        )
        also(self.uow)
        return int(written["ids"][0])

    def tag_records(
        self, app: str, table: str, ids: Any, add: Any, remove: Any, also: Any
    ) -> list[int]:
        changed = self.s.tags.as_rule_in(self.uow, app, table, ids, add, remove)
        also(self.uow)
        return changed

    def process_exists(self, app: str, key: str) -> bool:
        return False

    def start_process(self, app: str, key: str, record_id: int, also: Any) -> int:
        raise Invalid.on("type", "process.service_action_type", type="start_process")

    def send(self, message: dict[str, Any], *, key: str, also: Any) -> list[dict[str, Any]]:
        out = deliveries(self.s.notify.send_in(self.uow, outbound(message, key)))
        also(self.uow, {"deliveries": out})
        return out


class ChannelNotifier:
    """``rules.ports.Notifier`` over ``services.notify`` (the notification channels)."""

    def __init__(self, services: Services) -> None:
        self.s = services

    def render(self, template: str, context: dict[str, Any]) -> str:
        return templates.render(template, context)

    def check_template(self, template: str, loc: str, known: Any = None) -> None:
        templates.check(template, known, loc)

    def channels(self) -> list[str]:
        return list(self.s.channels.keys())

    def send(self, message: dict[str, Any], *, key: str, also: Any = None) -> list[dict[str, Any]]:
        """In-app notifications are written in the same transaction as ``also`` (exactly once
        with the run's record of them); other channels send first, then ``also`` commits."""
        m = outbound(message, key)
        notify = self.s.notify
        if message["channel"].partition(":")[0] == "inapp":
            with unit_of_work(self.s) as uow:
                out = deliveries(notify.send_in(uow, m))
                if also is not None:
                    also(uow, {"deliveries": out})
            return out
        out = deliveries(notify.send(m))
        if also is not None:
            with unit_of_work(self.s) as uow:
                also(uow, {"deliveries": out})
        return out
