"""A table's validation rules over records as written: formulas evaluated by the database in
the write's transaction, so they see relations, lookups and other formulas as reads do."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from cairn.core import FieldErrors, Message
from cairn.core.clock import Clock
from cairn.query.filters import FilterCompiler
from cairn.query.tree import FormulaNode
from cairn.store import Catalog, TableSchema
from cairn.store.record_input import Prepared, prefix_of


def check_rules(
    conn: sa.Connection,
    cat: Catalog,
    s: TableSchema,
    clock: Clock,
    written: list[Prepared],
    single: bool,
    at: dict[int, str] | None = None,
) -> None:
    """A record for which a rule is not TRUE fails the whole call with the rule's message (the
    transaction rolls back). ``at``: where each record's message shows when not at the rule's
    field (records changed through a relation of another table)."""
    rules = s.table.validation_rules or []
    by_id = {p.record_id: p for p in written}
    if not by_id:
        return
    compiler = FilterCompiler(cat, s, clock)
    t = s.sa_table
    broken = [
        sa.not_(compiler.compile(FormulaNode(r["formula"], f"validation_rules.{i}"))).label(f"r{i}")
        for i, r in enumerate(rules)
    ]
    errors = FieldErrors()
    query = sa.select(t.c.id, *broken).where(t.c.id.in_(list(by_id))).order_by(t.c.id)
    for row in conn.execute(query):
        p = by_id[row[0]]
        for i, rule in enumerate(rules):
            if row[i + 1]:
                where = at[row[0]] if at else rule_location(s, rule)
                errors.add(
                    prefix_of(single, p.index) + where,
                    Message("record.rule_failed", {"message": rule.get("message", "")}),
                )
    errors.raise_if_any()


def rule_location(s: TableSchema, rule: dict[str, Any]) -> str:
    """Where a broken rule's message shows: its field, else the first field it uses."""
    for fid in [rule.get("field"), *rule.get("uses", [])]:
        f = s.by_id.get(fid) if isinstance(fid, int) else None
        if f is not None:
            return f.key
    return "record"
