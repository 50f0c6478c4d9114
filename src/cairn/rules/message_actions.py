"""The message actions: ``notify`` (a message through a channel to its recipients) and
``webhook`` (an outbound JSON call), their text rendered from templates over the record. Both
go out through the notifier, once per idempotency key."""

from __future__ import annotations

import json
from typing import Any

from cairn.core import FieldErrors, Invalid, Message
from cairn.rules.action_base import ActionCheck, ActionType, RunContext
from cairn.rules.ports import Also, RulePorts
from cairn.rules.recipients import check_recipient, recipients
from cairn.rules.spec import NotifyAction, WebhookAction


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
