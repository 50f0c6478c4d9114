"""The rule engine's actions as functions other use cases call: the process engine's service
tasks check and run the same ``update_record``, ``create_record``, ``notify`` and ``webhook``
actions a rule has (``cairn.rules.actions``: one class per type), through the same ports.

- ``parse_actions`` / ``check_actions``: the action specs and the formulas they need, checked
  against the catalogue (what saving a rule checks).
- ``InlinePorts``: the ports inside a caller's unit of work, so a database write (a record
  updated or created, an in-app notification) commits with the caller's change.
- ``run_action``: resolve then apply one action (the executor step of ``RuleEngine.run``).
- ``outbound`` and ``deliveries``: a ports message as a ``notify`` message and back (shared
  with ``services.rules.ChannelNotifier``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import sqlalchemy as sa
from pydantic import Field, TypeAdapter, ValidationError

from cairn.core import Invalid, Message
from cairn.formula import Formula
from cairn.rules import ActionCheck, RunContext, builtin_actions
from cairn.rules.spec import Action
from cairn.services.uow import UnitOfWork
from cairn.store.catalog import TableSchema

if TYPE_CHECKING:
    from cairn.services.context import Services

ACTIONS = builtin_actions()
#: What a process service task may run (waits are BPMN timers; a process starts processes
#: through a call activity, not here).
SERVICE_ACTIONS = ("update_record", "create_record", "notify", "webhook")
_ADAPTER: TypeAdapter[Any] = TypeAdapter(Annotated[Action, Field(discriminator="type")])


def parse_actions(items: Sequence[dict[str, Any]], loc: str) -> list[Any]:
    """Rule-action specs from plain data; ``Invalid`` at ``<loc>.<i>[.field]``."""
    out = []
    for i, item in enumerate(items):
        where = f"{loc}.{i}"
        kind = item.get("type")
        if kind not in SERVICE_ACTIONS:
            raise Invalid.on(f"{where}.type", "process.service_action_type", type=str(kind))
        try:
            out.append(_ADAPTER.validate_python(item))
        except ValidationError as e:
            errors: dict[str, list[Message]] = {}
            for err in e.errors():
                path = ".".join(str(p) for p in err["loc"][1:])
                key = f"{where}.{path}" if path else where
                errors.setdefault(key, []).append(
                    Message("process.service_action", {"detail": err["msg"]})
                )
            raise Invalid("invalid.input", errors) from None
    return out


def check_actions(
    services: Services, uow: UnitOfWork, schema: TableSchema, specs: Sequence[Any], loc: str
) -> dict[str, Formula]:
    """Each action checked against the table as a rule's would be (fields, formulas,
    templates, channels); the formulas to evaluate over the record. Errors at ``<loc>.<i>``."""
    formulas: dict[str, Formula] = {}
    notifier = services.notifier
    for i, spec in enumerate(specs):
        c = ActionCheck(
            uow.catalog,
            schema,
            schema.app.key,
            f"actions.{i}",  # the names ``resolve`` reads the formula values by
            tuple(notifier.channels()),
            notifier.check_template,
        )
        try:
            ACTIONS.of(spec).check(spec, c)
        except Invalid as e:
            raise Invalid(
                e.message.key,
                {_relocate(k, loc): v for k, v in e.field_errors.items()}
                or {f"{loc}.{i}": [e.message]},
            ) from None
        formulas.update(c.formulas)
    return formulas


def _relocate(key: str, loc: str) -> str:
    return f"{loc}.{key[len('actions.') :]}" if key.startswith("actions.") else f"{loc}.{key}"


def is_local(spec: Any) -> bool:
    """Does the action's effect stay in the database (it can commit with the caller)?"""
    if ACTIONS.of(spec).local:
        return True
    return spec.type == "notify" and spec.channel.partition(":")[0] == "inapp"


def rule_info(catalog: Any, schema: TableSchema, key: str, name: str) -> dict[str, Any]:
    """What a ``RunContext`` knows of "the rule" (here: the process step) and its table."""
    return {
        "id": 0,
        "key": key,
        "name": name,
        "app": schema.app.key,
        "table": schema.table.key,
        "app_id": schema.app.id,
        "table_id": schema.id,
        "owner_id": None,
        "secret": None,
        "targets": {
            f.key: catalog.schema(int(f.options["target_table_id"])).table.key
            for f in schema.fields
            if f.type == "relation"
        },
        "field_kinds": {f.key: f.type for f in schema.fields},
        "field_names": {f.key: f.name for f in schema.fields},
    }


def run_action(spec: Any, ctx: RunContext, ports: Any, key: str, also: Any) -> dict[str, Any]:
    """One action: what it does for this record, then done through ``ports`` (``also`` runs in
    the transaction of its effect)."""
    at = ACTIONS.of(spec)
    effect = at.resolve(spec, ctx, ports)
    return at.apply(spec, effect, ports, key, also)


def resolve_action(spec: Any, ctx: RunContext, ports: Any) -> dict[str, Any]:
    return ACTIONS.of(spec).resolve(spec, ctx, ports)


def outbound(message: dict[str, Any], key: str) -> Any:
    """A ports message (``Notify.resolve`` / ``Webhook.resolve``) as a ``notify`` message."""
    from cairn.services.notify import OutboundMessage

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
    )


def deliveries(ds: Any) -> list[dict[str, Any]]:
    return [
        {
            "channel": d.channel,
            "recipient": d.recipient,
            "status": d.status,
            **({"replayed": True} if d.replayed else {}),
        }
        for d in ds
    ]


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
        versions = self.uow.conn.execute(
            sa.select(t.c.id, t.c.version).where(t.c.id.in_(list(ids)), t.c.deleted_at.is_(None))
        ).all()
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

    def process_exists(self, app: str, key: str) -> bool:
        return False

    def start_process(self, app: str, key: str, record_id: int, also: Any) -> int:
        raise Invalid.on("type", "process.service_action_type", type="start_process")

    def send(self, message: dict[str, Any], *, key: str, also: Any) -> list[dict[str, Any]]:
        out = deliveries(self.s.notify.send_in(self.uow, outbound(message, key)))
        also(self.uow, {"deliveries": out})
        return out
