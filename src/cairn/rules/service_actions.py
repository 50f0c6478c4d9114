"""Rule actions outside a rule: the process engine's service tasks check and run the same
``update_record``, ``create_record``, ``notify`` and ``webhook`` actions a rule has (one class
per type in ``actions``), through the same ports.

- ``parse_actions`` / ``check_actions``: the action specs and the formulas they need, checked
  against the catalogue (what saving a rule checks).
- ``run_action``: resolve then apply one action (the executor step of ``RuleEngine.run``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from cairn.core import Invalid, Message
from cairn.formula import Formula
from cairn.rules.action_base import ActionCheck, ActionRegistry, RunContext
from cairn.rules.ports import Notifier, RulePorts
from cairn.rules.spec import Action
from cairn.store.catalog import Catalog, TableSchema

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
    actions: ActionRegistry,
    notifier: Notifier,
    catalog: Catalog,
    schema: TableSchema,
    specs: Sequence[Any],
    loc: str,
) -> dict[str, Formula]:
    """Each action checked against the table as a rule's would be (fields, formulas,
    templates, channels); the formulas to evaluate over the record. Errors at ``<loc>.<i>``."""
    formulas: dict[str, Formula] = {}
    for i, spec in enumerate(specs):
        c = ActionCheck(
            catalog,
            schema,
            schema.app.key,
            f"actions.{i}",  # the names ``resolve`` reads the formula values by
            tuple(notifier.channels()),
            notifier.check_template,
        )
        try:
            actions.of(spec).check(spec, c)
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


def is_local(actions: ActionRegistry, spec: Any) -> bool:
    """Does the action's effect stay in the database (it can commit with the caller)?"""
    if actions.of(spec).local:
        return True
    return spec.type == "notify" and spec.channel.partition(":")[0] == "inapp"


def run_action(
    actions: ActionRegistry, spec: Any, ctx: RunContext, ports: RulePorts, key: str, also: Any
) -> dict[str, Any]:
    """One action: what it does for this record, then done through ``ports`` (``also`` runs in
    the transaction of its effect)."""
    at = actions.of(spec)
    effect = at.resolve(spec, ctx, ports)
    return at.apply(spec, effect, ports, key, also)
