"""Actions: one class per ``action.type``, registered by key.

Each action ``check``s its spec against the catalogue when a rule is saved (and names the
formulas it needs), ``resolve``s what it would do for one record (field values, recipients,
rendered text: what a dry run shows) and ``apply``s that through the ports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar

from cairn.core import Invalid, Registry
from cairn.formula import Formula
from cairn.query.formula import compile_text
from cairn.rules.ports import Also, RulePorts
from cairn.rules.spec import (
    CreateAction,
    NotifyAction,
    StartProcessAction,
    UpdateAction,
    Value,
    WaitAction,
    WebhookAction,
)
from cairn.store.catalog import Catalog, TableSchema

#: Fields an action may not write (the platform keeps them).
SYSTEM_KEYS = frozenset({"id", "version", "created_at", "updated_at", "created_by", "updated_by"})
#: Fields of the triggering record a ``{"field": ...}`` value may copy besides its own fields.
COPYABLE = frozenset({"id", "owner_id", "created_by", "updated_by"})


@dataclass
class ActionCheck:
    catalog: Catalog
    schema: TableSchema  # the rule's table
    app: str
    loc: str
    channels: tuple[str, ...] = ()
    check_template: Any = None  # (template, loc) -> None
    #: name → formula over the rule's table, filled by the checks
    formulas: dict[str, Formula] = field(default_factory=dict)

    def formula(self, name: str, text: str, loc: str) -> Formula:
        f = compile_text(self.catalog, self.schema, text, loc)
        self.formulas[name] = f
        return f


@dataclass
class RunContext:
    """One run over one record: what ``resolve`` reads."""

    rule: dict[str, Any]  # id, key, name, app, table, owner_id, secret
    record_id: int | None
    record: dict[str, Any]  # the record as the API shows it (to its owner)
    values: dict[str, Any]  # formula results by name
    index: int  # the action's position
    #: Where a message comes from, kept with its deliveries (``rule_id``, ``run_id``); empty
    #: in a dry run and for alerts.
    origin: dict[str, Any] = field(default_factory=dict)


def _target_schema(c: ActionCheck, spec: UpdateAction | CreateAction) -> TableSchema:
    if isinstance(spec, CreateAction):
        try:
            return c.catalog.table(spec.app or c.app, spec.table)
        except Exception:
            raise Invalid.on(f"{c.loc}.table", "rule.table_unknown", table=spec.table) from None
    if spec.target == "this":
        return c.schema
    f = c.schema.by_key.get(spec.target)
    if f is None or not f.is_relation:
        raise Invalid.on(f"{c.loc}.target", "rule.relation", field=spec.target)
    return c.catalog.schema(int(f.options["target_table_id"]))


def _check_values(c: ActionCheck, target: TableSchema, values: dict[str, Value]) -> None:
    if not values:
        raise Invalid.on(f"{c.loc}.values", "rule.values_empty")
    for k, v in values.items():
        loc = f"{c.loc}.values.{k}"
        f = target.by_key.get(k)
        if f is None or k in SYSTEM_KEYS:
            raise Invalid.on(loc, "field.unknown", key=k)
        if not target.types[f.id].writable:
            raise Invalid.on(loc, "field.read_only")
        if v.formula is not None:
            c.formula(f"{c.loc}.{k}", v.formula, f"{loc}.formula")
        elif v.field is not None and v.field not in COPYABLE and v.field not in c.schema.by_key:
            raise Invalid.on(f"{loc}.field", "field.unknown", key=v.field)


def _resolve_values(c: RunContext, loc: str, values: dict[str, Value]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in values.items():
        if v.formula is not None:
            out[k] = c.values.get(f"{loc}.{k}")
        elif v.field is not None:
            out[k] = c.record_id if v.field == "id" else c.record.get(v.field)
        else:
            out[k] = v.value
    return out


class ActionType:
    key: ClassVar[str]
    model: ClassVar[type]
    #: the effect stays inside the database (written in the same transaction as its mark)
    local: ClassVar[bool] = True

    def check(self, spec: Any, c: ActionCheck) -> None: ...

    def resolve(self, spec: Any, c: RunContext, ports: RulePorts) -> dict[str, Any]:
        return {}

    def apply(
        self, spec: Any, effect: dict[str, Any], ports: RulePorts, key: str, also: Also
    ) -> dict[str, Any]:
        return {}


class UpdateRecord(ActionType):
    key = "update_record"
    model = UpdateAction

    def check(self, spec: UpdateAction, c: ActionCheck) -> None:
        _check_values(c, _target_schema(c, spec), spec.values)

    def resolve(self, spec: UpdateAction, c: RunContext, ports: RulePorts) -> dict[str, Any]:
        values = _resolve_values(c, f"actions.{c.index}", spec.values)
        if spec.target == "this":
            app, table, ids = c.rule["app"], c.rule["table"], [c.record_id]
        else:
            linked = c.record.get(spec.target) or []
            linked = linked if isinstance(linked, list) else [linked]
            ids = [x["id"] if isinstance(x, dict) else x for x in linked]
            app, table = c.rule["app"], c.rule["targets"][spec.target]
        return {"app": app, "table": table, "ids": ids, "values": values}

    def apply(
        self, spec: UpdateAction, effect: dict[str, Any], ports: RulePorts, key: str, also: Also
    ) -> dict[str, Any]:
        ids = ports.update_records(
            effect["app"], effect["table"], effect["ids"], effect["values"], also
        )
        return {"updated": ids}


class CreateRecord(ActionType):
    key = "create_record"
    model = CreateAction

    def check(self, spec: CreateAction, c: ActionCheck) -> None:
        _check_values(c, _target_schema(c, spec), spec.values)

    def resolve(self, spec: CreateAction, c: RunContext, ports: RulePorts) -> dict[str, Any]:
        values = _resolve_values(c, f"actions.{c.index}", spec.values)
        return {"app": spec.app or c.rule["app"], "table": spec.table, "values": values}

    def apply(
        self, spec: CreateAction, effect: dict[str, Any], ports: RulePorts, key: str, also: Also
    ) -> dict[str, Any]:
        rid = ports.create_record(effect["app"], effect["table"], effect["values"], also)
        return {"created": rid}


def template_context(c: RunContext) -> dict[str, Any]:
    """A template sees each field by key (and by name when that is an identifier), ``record``
    (both), ``rule`` and ``link``."""
    values = {k: v for k, v in c.record.items() if isinstance(k, str)}
    by_name = {
        name: values[key]
        for key, name in c.rule.get("field_names", {}).items()
        if key in values and name and name not in values
    }
    ctx: dict[str, Any] = {k: v for k, v in by_name.items() if k.isidentifier()}
    ctx.update(values)
    ctx["record"] = {**by_name, **values}
    ctx["rule"] = {"key": c.rule["key"], "name": c.rule["name"]}
    ctx["link"] = c.rule.get("link", "")
    return ctx


def template_names(c: ActionCheck) -> list[str]:
    """The names a template of a rule on this table may read."""
    names = {f.key for f in c.schema.fields} | {f.name for f in c.schema.fields}
    return sorted(names | set(TEMPLATE_EXTRAS))


#: Besides the fields: the record's system values and what the engine adds.
TEMPLATE_EXTRAS = (
    "id",
    "version",
    "created_at",
    "updated_at",
    "owner_id",
    "created_by",
    "record",
    "rule",
    "link",
)


def recipients(c: RunContext, to: list[str], types: dict[str, str]) -> list[str]:
    """``field:<key>`` (a user, e-mail or phone field) and ``owner`` resolved over the record
    into ``user:<id>``, e-mail addresses and phone numbers; anything else as given."""
    out: list[str] = []

    def add(item: Any, user: bool) -> None:
        if item is None or item == "" or item == []:
            return
        if isinstance(item, list):
            for x in item:
                add(x, user)
            return
        if isinstance(item, dict):
            item = item.get("id", item.get("value"))
        text = f"user:{item}" if user else str(item)
        if text not in out:
            out.append(text)

    for r in to:
        if r == "owner":
            add(c.record.get("owner_id"), True)
        elif r.startswith("field:"):
            k = r[6:]
            add(c.record.get(k), types.get(k) == "user")
        else:
            add(r, False)
    return out


class Notify(ActionType):
    key = "notify"
    model = NotifyAction
    local = False

    def check(self, spec: NotifyAction, c: ActionCheck) -> None:
        if c.channels and spec.channel.partition(":")[0] not in c.channels:
            raise Invalid.on(f"{c.loc}.channel", "rule.channel", channel=spec.channel)
        for i, r in enumerate(spec.to):
            if r.startswith("field:") and r[6:] not in c.schema.by_key:
                raise Invalid.on(f"{c.loc}.to.{i}", "field.unknown", key=r[6:])
        if c.check_template is not None:
            names = template_names(c)
            c.check_template(spec.subject, f"{c.loc}.subject", names)
            c.check_template(spec.body, f"{c.loc}.body", names)

    def resolve(self, spec: NotifyAction, c: RunContext, ports: RulePorts) -> dict[str, Any]:
        ctx = template_context(c)
        return {
            "channel": spec.channel,
            "recipients": recipients(c, spec.to, c.rule.get("field_kinds", {})),
            "subject": ports.render(spec.subject, ctx) if spec.subject else "",
            "body": ports.render(spec.body, ctx) if spec.body else "",
            "link": c.rule.get("link", "")
            if spec.link or spec.channel.partition(":")[0] == "inapp"
            else "",
            "app_id": c.rule.get("app_id"),
            "table_id": c.rule.get("table_id"),
            "record_id": c.record_id,
            **c.origin,
        }

    def apply(
        self, spec: NotifyAction, effect: dict[str, Any], ports: RulePorts, key: str, also: Also
    ) -> dict[str, Any]:
        return {"deliveries": ports.send(effect, key=key, also=also)}


class Webhook(ActionType):
    key = "webhook"
    model = WebhookAction
    local = False

    def check(self, spec: WebhookAction, c: ActionCheck) -> None:
        if spec.url is not None and not spec.url.startswith(("http://", "https://")):
            raise Invalid.on(f"{c.loc}.url", "rule.url")
        if c.channels and spec.channel.partition(":")[0] != "webhook":
            raise Invalid.on(f"{c.loc}.channel", "rule.channel", channel=spec.channel)
        if spec.body is not None and c.check_template is not None:
            c.check_template(spec.body, f"{c.loc}.body", template_names(c))

    def resolve(self, spec: WebhookAction, c: RunContext, ports: RulePorts) -> dict[str, Any]:
        if spec.body is None:
            data: Any = {
                "rule": c.rule["key"],
                "app": c.rule["app"],
                "table": c.rule["table"],
                "record": c.record,
            }
        else:
            text = ports.render(spec.body, template_context(c))
            try:
                data = json.loads(text)
            except ValueError:
                data = {"text": text}
        return {
            "channel": spec.channel,
            "url": spec.url,
            "data": data,
            "app_id": c.rule.get("app_id"),
            "table_id": c.rule.get("table_id"),
            "record_id": c.record_id,
            **c.origin,
        }

    def apply(
        self, spec: WebhookAction, effect: dict[str, Any], ports: RulePorts, key: str, also: Also
    ) -> dict[str, Any]:
        return {"deliveries": ports.send(effect, key=key, also=also)}


class Wait(ActionType):
    """Handled by the executor: the run pauses (a job row), then goes on with the next action."""

    key = "wait"
    model = WaitAction

    def resolve(self, spec: WaitAction, c: RunContext, ports: RulePorts) -> dict[str, Any]:
        return {"seconds": spec.seconds, "recheck": spec.recheck}

    @staticmethod
    def delay(spec: WaitAction) -> timedelta:
        return timedelta(seconds=spec.seconds)


class ActionRegistry(Registry[ActionType]):
    def __init__(self) -> None:
        super().__init__("action")

    def of(self, spec: Any) -> ActionType:
        return self.get(spec.type)


class StartProcess(ActionType):
    """Start one of the app's processes on the record (the process engine's own instance,
    with its assignees, deadlines and escalations)."""

    key = "start_process"
    model = StartProcessAction

    def resolve(self, spec: StartProcessAction, c: RunContext, ports: RulePorts) -> dict[str, Any]:
        return {"app": c.rule["app"], "process": spec.process, "record_id": c.record_id}

    def apply(
        self,
        spec: StartProcessAction,
        effect: dict[str, Any],
        ports: RulePorts,
        key: str,
        also: Also,
    ) -> dict[str, Any]:
        iid = ports.start_process(effect["app"], effect["process"], effect["record_id"], also)
        return {"instance_id": iid}


def builtin_actions() -> ActionRegistry:
    r = ActionRegistry()
    for a in (UpdateRecord(), CreateRecord(), Notify(), Webhook(), Wait(), StartProcess()):
        r.register(a)
    return r
