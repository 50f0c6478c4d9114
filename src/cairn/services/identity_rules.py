"""One-ID match rules of a table: list, create, change, delete.

Rules are part of a table's design: the route lets those who may change its fields through
(``deps.SchemaManager``) and the unit of work audits each change (``identity_rule.*``). A
change marks the schema as changed, so every process recompiles its rules with the
catalogue (``identity_cache``), and the table's blocks are rebuilt for the rules that
changed: inline for a table of up to ``INLINE_REBUILD`` live records (a few seconds at
most), otherwise by a queued "find duplicates" job (``identity_jobs``), which also finds
the pairs the new rule makes. Until that job has run, writes still file and match their
records, against the records already filed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Principal
from cairn.core import FieldErrors, Invalid, NotFound
from cairn.identity.blocking import blocked_parts, blocks
from cairn.identity.resolve import part_raws, values_of
from cairn.identity.rules import Rule, check_rule, compile_rule, public_parts, rule_from_row
from cairn.services.identity_jobs import queue_job
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import Catalog, TableSchema
from cairn.store import identity as store

if TYPE_CHECKING:
    from cairn.services.context import Services

#: Live records up to which a rule change rebuilds the table's blocks in its own transaction.
INLINE_REBUILD = 20_000
#: Records filed per step of a rebuild (one read, one insert of blocks each).
REBUILD_BATCH = 1_000


def rule_public(rule: Rule, cat: Catalog) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "kind": rule.kind,
        "parts": public_parts(rule, cat),
        "threshold": rule.threshold,
        "action": rule.action,
        "enabled": rule.enabled,
        "position": rule.position,
    }


class IdentityRuleService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def list(self, app: str, table: str, principal: Principal = SYSTEM) -> list[dict[str, Any]]:
        """Listed to every member who sees the table, like its fields (its design)."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            return [rule_public(rule_from_row(r), uow.catalog) for r in store.rules(uow.conn, s.id)]

    def create(
        self, app: str, table: str, spec: Any, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        with unit_of_work(self.s, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            values = check_rule(spec, s, uow.catalog, self.s.field_types)
            rid = store.insert_rule(
                uow.conn,
                table_id=s.id,
                created_by=uow.actor_id,
                created_at=uow.now,
                updated_at=uow.now,
                **values,
            )
            rule = self._changed(uow, s, rid)
            return rule_public(rule, uow.catalog)

    def update(
        self, app: str, table: str, rule_id: int, spec: Any, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        with unit_of_work(self.s, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            before = self._rule(uow, s, rule_id)
            values = check_rule(spec, s, uow.catalog, self.s.field_types, previous=before)
            store.update_rule(uow.conn, rule_id, updated_at=uow.now, **values)
            rule = self._changed(uow, s, rule_id)
            return rule_public(rule, uow.catalog)

    def delete(self, app: str, table: str, rule_id: int, principal: Principal = SYSTEM) -> None:
        with unit_of_work(self.s, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            self._rule(uow, s, rule_id)
            store.delete_rule(uow.conn, rule_id)
            uow.schema_changed()

    # -- app packages ------------------------------------------------------------------------
    def export_in(self, uow: UnitOfWork, s: TableSchema) -> list[dict[str, Any]]:
        """The table's rules as an app package holds them: by field key, in order, no ids."""
        return [
            {k: v for k, v in rule_public(rule_from_row(r), uow.catalog).items() if k != "id"}
            for r in store.rules(uow.conn, s.id)
        ]

    def import_in(self, uow: UnitOfWork, app: str, table: str, items: Any, loc: str) -> None:
        """The rules of a package's table, each checked as the API checks it (errors named
        ``<loc>.<i>.<attr>``, all at once), then filed like a new rule."""
        s = uow.catalog.table(app, table)
        errors = FieldErrors()
        checked = []
        for i, spec in enumerate(items):
            if isinstance(spec, dict) and "position" not in spec:
                spec = {**spec, "position": i}  # the package's order is the rules' order
            try:
                checked.append(check_rule(spec, s, uow.catalog, self.s.field_types))
            except Invalid as e:
                errors.merge(f"{loc}.{i}.", e)
        errors.raise_if_any()
        for values in checked:
            rid = store.insert_rule(
                uow.conn,
                table_id=s.id,
                created_by=uow.actor_id,
                created_at=uow.now,
                updated_at=uow.now,
                **values,
            )
            self._changed(uow, s, rid)

    @staticmethod
    def _rule(uow: UnitOfWork, s: TableSchema, rule_id: int) -> Rule:
        row = store.rule(uow.conn, rule_id)
        if row is None or row.table_id != s.id:
            raise NotFound("identity.rule_not_found", id=rule_id)
        return rule_from_row(row)

    def _changed(self, uow: UnitOfWork, s: TableSchema, rule_id: int) -> Rule:
        """After a rule's change: the schema marked changed, the rule's blocks rebuilt (or a
        find-duplicates job queued for a large table)."""
        uow.schema_changed()
        rule = self._rule(uow, s, rule_id)
        store.drop_rule_blocks(uow.conn, rule_id)
        compiled = compile_rule(rule, uow.catalog, self.s.field_types)
        if not rule.enabled or compiled is None:
            return rule
        if store.live_count(uow.conn, s) <= INLINE_REBUILD:
            rebuild(uow, s, [compiled])
        else:
            queue_job(uow, s)
        return rule


def rebuild(uow: UnitOfWork, s: TableSchema, rules: list[Any]) -> None:
    """File every live record of ``s`` under ``rules`` (whose old blocks are gone): blocks
    only, no pairs (finding them is the find-duplicates job's)."""
    after = 0
    while ids := store.live_ids_after(uow.conn, s, after, REBUILD_BATCH):
        after = ids[-1]
        raws = part_raws(uow, s, rules, ids)
        entries = [
            (rule.id, rid, b)
            for rule in rules
            for rid, v in values_of(rule, raws, only=blocked_parts(rule)).items()
            for b in sorted(blocks(rule, v))
        ]
        store.add_blocks(uow.conn, s.id, entries)
