"""Actions: one class per ``action.type``, registered by key.

Each action ``check``s its spec against the catalogue when a rule is saved (and names the
formulas it needs), ``resolve``s what it would do for one record (field values, recipients,
rendered text: what a dry run shows) and ``apply``s that through the ports.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar

from cairn.core import FieldErrors, Invalid, Message, Registry
from cairn.formula import Formula
from cairn.query.formula import compile_text
from cairn.rules.ports import Also, RecipientPorts, RulePorts, Saving
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
    #: Given when a rule is saved: recipients are checked against the users and roles.
    saving: Saving | None = None

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


#: Field types a ``field:<key>`` recipient may name (a user, an address, a looked-up one).
RECIPIENT_FIELDS = frozenset({"user", "email", "phone", "lookup"})
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{4,30}$")


def check_recipient(c: ActionCheck, r: str, loc: str) -> None:
    """One ``to`` entry of a notification: ``user:<id or username>``, ``role:<key>``,
    ``field:<key>`` (a user, e-mail or phone field), ``owner``, ``manager:owner``, an e-mail
    address or a phone number. Users and roles are looked up when the rule is saved."""
    r = r.strip()
    kind, sep, value = r.partition(":")
    if r in ("owner", "manager:owner"):
        return
    if sep and kind == "field":
        f = c.schema.by_key.get(value)
        if f is None:
            raise Invalid.on(loc, "field.unknown", key=value)
        if f.type not in RECIPIENT_FIELDS:
            raise Invalid.on(loc, "rule.recipient_field", field=value)
        return
    if sep and kind == "user":
        if c.saving is not None and not c.saving.user_exists(value.strip()):
            raise Invalid.on(loc, "rule.recipient_user", user=value)
        return
    if sep and kind == "role":
        if c.saving is not None and not c.saving.role_exists(value.strip()):
            raise Invalid.on(loc, "rule.recipient_role", role=value)
        return
    if "@" in r and " " not in r and not r.startswith("@"):
        return
    if _PHONE.match(r):
        return
    raise Invalid.on(loc, "rule.recipient", recipient=r)


def recipients(
    c: RunContext, to: list[str], types: dict[str, str], ports: RecipientPorts | None = None
) -> tuple[list[str], list[dict[str, Any]]]:
    """``to`` resolved over the record: ``field:<key>``, ``owner``, ``manager:owner`` and
    (with ``ports``) ``role:<key>`` become ``user:<id>``, e-mail addresses and phone numbers;
    anything else stays as given. Also, per entry, what it resolved to (what a dry run
    shows: an empty list says why no one gets the message)."""
    out: list[str] = []
    sources: list[dict[str, Any]] = []

    def add(item: Any, user: bool, found: list[str]) -> None:
        if item is None or item == "" or item == []:
            return
        if isinstance(item, list):
            for x in item:
                add(x, user, found)
            return
        if isinstance(item, dict):
            item = item.get("id", item.get("value"))
        text = f"user:{item}" if user else str(item)
        found.append(text)
        if text not in out:
            out.append(text)

    for r in to:
        found: list[str] = []
        if r == "owner":
            add(c.record.get("owner_id"), True, found)
        elif r == "manager:owner":
            owner = c.record.get("owner_id")
            if isinstance(owner, dict):  # a user as the API shows one
                owner = owner.get("id")
            if ports is not None and str(owner).isdecimal():
                add(ports.manager_of(int(str(owner))), True, found)
        elif r.startswith("field:"):
            k = r[6:]
            add(c.record.get(k), types.get(k) == "user", found)
        elif r.startswith("role:") and ports is not None:
            add(ports.role_members(r[5:].strip()), True, found)
        else:
            add(r, False, found)
        sources.append({"to": r, "resolved": found})
    return out, sources


class Notify(ActionType):
    key = "notify"
    model = NotifyAction
    local = False

    def check(self, spec: NotifyAction, c: ActionCheck) -> None:
        """Every input checked (an unknown role does not hide a bad template: the editor shows
        each error on its own input)."""
        errors = FieldErrors()
        if c.channels and spec.channel.partition(":")[0] not in c.channels:
            errors.add(f"{c.loc}.channel", Message("rule.channel", {"channel": spec.channel}))
        for i, r in enumerate(spec.to):
            try:
                check_recipient(c, r, f"{c.loc}.to.{i}")
            except Invalid as e:
                errors.merge("", e)
        if c.check_template is not None:
            names = template_names(c)
            for part in ("subject", "body"):
                try:
                    c.check_template(getattr(spec, part), f"{c.loc}.{part}", names)
                except Invalid as e:
                    errors.merge("", e)
        errors.raise_if_any()

    def resolve(self, spec: NotifyAction, c: RunContext, ports: RulePorts) -> dict[str, Any]:
        ctx = template_context(c)
        to, sources = recipients(c, spec.to, c.rule.get("field_kinds", {}), ports)
        return {
            "channel": spec.channel,
            "recipients": to,
            "recipient_sources": sources,
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
