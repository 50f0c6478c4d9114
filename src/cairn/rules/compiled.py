"""A rule checked against the catalogue and ready to run (``Compiled``), and the checks that make
one: the trigger, the condition and every action (fields, formulas, templates, channels)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cairn.formula import Formula
from cairn.rules.actions import ActionCheck, ActionRegistry
from cairn.rules.evaluate import condition_formula
from cairn.rules.ports import Notifier
from cairn.rules.spec import RuleSpec
from cairn.rules.trigger_base import CheckContext, TriggerRegistry
from cairn.store.catalog import Catalog, TableSchema


@dataclass
class Compiled:
    """A rule ready to run against the current catalogue."""

    row: dict[str, Any]
    spec: RuleSpec
    schema: TableSchema
    formulas: dict[str, Formula]
    info: dict[str, Any]
    #: The trigger's kind: ``event`` (record events), ``scan`` (dates, schedules, inactivity)
    #: or ``webhook``.
    kind: str

    @property
    def id(self) -> int:
        return int(self.row["id"])

    @property
    def armed_event_id(self) -> int:
        """The outbox position when the rule was last enabled (``store.rules.armed``)."""
        return int(self.row.get("armed_event_id") or 0)

    @property
    def needs_record(self) -> bool:
        """Whether an action reads the record itself (templates, recipients, copied values,
        related records) beyond the formulas computed in SQL."""
        for a in self.spec.actions:
            if a.type in ("notify", "webhook"):
                return True
            if a.type == "update_record" and a.target != "this":  # type: ignore[union-attr]
                return True
            values = getattr(a, "values", {}) or {}
            if any(v.field is not None and v.field != "id" for v in values.values()):
                return True
        return False


def rule_info(catalog: Catalog, schema: TableSchema, key: str, name: str) -> dict[str, Any]:
    """What a ``RunContext`` knows of "the rule" (or a process step running rule actions) and
    its table."""
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
            if f.is_relation
        },
        "field_kinds": {f.key: f.type for f in schema.fields},
        "field_names": {f.key: f.name for f in schema.fields},
    }


def compile_rule(
    catalog: Catalog,
    row: Mapping[str, Any],
    notifier: Notifier,
    triggers: TriggerRegistry,
    actions: ActionRegistry,
    spec: RuleSpec,
) -> Compiled:
    """Check a rule (``spec``, parsed from ``row["spec"]``) against the catalogue: fields,
    formulas, templates; what it runs with."""
    schema = catalog.schema(int(row["table_id"]))
    trigger = triggers.of(spec.trigger)
    trigger.check(spec.trigger, CheckContext(catalog, schema))
    formulas: dict[str, Formula] = {}
    if spec.condition:
        formulas["condition"] = condition_formula(catalog, schema, spec.condition, "condition")
    for i, a in enumerate(spec.actions):
        c = ActionCheck(
            catalog,
            schema,
            schema.app.key,
            f"actions.{i}",
            tuple(notifier.channels()),
            notifier.check_template,
        )
        actions.of(a).check(a, c)
        formulas.update(c.formulas)
    info = rule_info(catalog, schema, row["key"], row["name"]) | {
        "id": row["id"],
        "owner_id": row["owner_id"],
        "secret": row["secret"],
    }
    return Compiled(dict(row), spec, schema, formulas, info, trigger.kind)
