"""A rule checked against the catalogue and ready to run (``Compiled``), and the checks that make
one: the trigger, the condition and every action (fields, formulas, templates, channels)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cairn.core import FieldErrors, Invalid
from cairn.formula import Formula
from cairn.query.formula import compile_text
from cairn.rules.action_base import ActionCheck, ActionRegistry
from cairn.rules.draft import Draft
from cairn.rules.evaluate import CONDITION, condition_formula
from cairn.rules.ports import Notifier, Saving, Work
from cairn.rules.spec import RuleSpec
from cairn.rules.trigger_base import CheckContext, TriggerRegistry
from cairn.store import rules as store
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


def with_owners(work: Work, c: Compiled, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records as the API shows them, with their owner's id (which the API leaves out): the
    ``owner`` and ``manager:owner`` recipients read it."""
    missing = [r["id"] for r in rows if "owner_id" not in r]
    if missing:
        owners = store.record_owners(work.conn, c.schema.sa_table, missing)
        for r in rows:
            r.setdefault("owner_id", owners.get(r["id"]))
    return rows


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


@dataclass
class Checked:
    """A draft checked part by part: the formulas of the parts that passed, the condition's
    type as written, and every error under its dotted location."""

    formulas: dict[str, Formula]
    condition_type: str | None
    errors: FieldErrors


def check_rule(
    catalog: Catalog,
    schema: TableSchema,
    draft: Draft,
    notifier: Notifier,
    triggers: TriggerRegistry,
    actions: ActionRegistry,
    saving: Saving | None = None,
) -> Checked:
    """Check each part of a rule against the catalogue (the trigger, the condition, each
    action), collecting every error instead of stopping at the first. ``saving`` adds what only
    a save checks (a schedule that never fires from now on, recipients that name no one)."""
    errors = draft.errors
    formulas: dict[str, Formula] = {}
    condition_type: str | None = None
    if draft.trigger is not None:
        try:
            trigger = triggers.of(draft.trigger)
            trigger.check(draft.trigger, CheckContext(catalog, schema, saving=saving))
        except Invalid as e:
            errors.merge("", e.under("trigger") if not _located(e, "trigger") else e)
    if draft.condition:
        try:
            condition_type = compile_text(catalog, schema, draft.condition, CONDITION).type.kind
            formulas[CONDITION] = condition_formula(catalog, schema, draft.condition, CONDITION)
        except Invalid as e:
            errors.merge("", e)
    channels = tuple(notifier.channels())
    for i, a in enumerate(draft.actions):
        if a is None:
            continue
        c = ActionCheck(
            catalog,
            schema,
            schema.app.key,
            f"actions.{i}",
            channels,
            notifier.check_template,
            saving=saving,
        )
        try:
            actions.of(a).check(a, c)
        except Invalid as e:
            errors.merge("", e if _located(e, f"actions.{i}") else e.under(f"actions.{i}"))
        formulas.update(c.formulas)
    return Checked(formulas, condition_type, errors)


def _located(e: Invalid, prefix: str) -> bool:
    return bool(e.field_errors) and all(k.startswith(prefix) for k in e.field_errors)


def compile_rule(
    catalog: Catalog,
    row: Mapping[str, Any],
    notifier: Notifier,
    triggers: TriggerRegistry,
    actions: ActionRegistry,
    spec: RuleSpec,
    saving: Saving | None = None,
) -> Compiled:
    """Check a rule (``spec``, parsed from ``row["spec"]``) against the catalogue: fields,
    formulas, templates (``check_rule``; ``Invalid`` with every error); what it runs with."""
    schema = catalog.schema(int(row["table_id"]))
    checked = check_rule(catalog, schema, Draft.of(spec), notifier, triggers, actions, saving)
    checked.errors.raise_if_any()
    info = rule_info(catalog, schema, row["key"], row["name"]) | {
        "id": row["id"],
        "owner_id": row["owner_id"],
        "secret": row["secret"],
    }
    trigger = triggers.of(spec.trigger)
    return Compiled(dict(row), spec, schema, checked.formulas, info, trigger.kind)
