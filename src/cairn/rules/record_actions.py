"""The record actions: ``update_record`` (this record or the records a relation links) and
``create_record`` (in any table of the app), their values fixed, copied from the record or
computed by a formula over it."""

from __future__ import annotations

from typing import Any

from cairn.core import Invalid
from cairn.rules.action_base import ActionCheck, ActionType, RunContext
from cairn.rules.ports import Also, RulePorts
from cairn.rules.spec import CreateAction, UpdateAction, Value
from cairn.store.catalog import TableSchema

#: Fields an action may not write (the platform keeps them).
SYSTEM_KEYS = frozenset({"id", "version", "created_at", "updated_at", "created_by", "updated_by"})
#: Fields of the triggering record a ``{"field": ...}`` value may copy besides its own fields.
COPYABLE = frozenset({"id", "owner_id", "created_by", "updated_by"})


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
