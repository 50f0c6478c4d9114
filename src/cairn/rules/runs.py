"""A rule's runs as its run log shows them: newest first, filtered (``status``,
``record_id``, ``trigger``, ``since``, ``until``), each with its record (id, title as the
reader may read it, table) for the link, how many match, and the waits pending."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth.audit import naive_utc
from cairn.rules.ports import Work
from cairn.rules.public import iso, run_public
from cairn.store import rules as store

if TYPE_CHECKING:
    from cairn.rules.runner import RuleEngine

#: Most runs one page shows.
MAX_PAGE = 500


def page(
    engine: RuleEngine,
    work: Work,
    rule: Any,
    limit: int = 50,
    before: int | None = None,
    **filters: Any,
) -> dict[str, Any]:
    """One page of rule ``rule``'s runs (those numbered below ``before``), ``total`` runs
    matching the filters, and ``waiting``: the waits pending."""
    since, until = (naive_utc(filters.get(k)) for k in ("since", "until"))
    filters = filters | {"since": since, "until": until}
    rule_id = rule["id"]
    rows = store.list_runs(work.conn, rule_id, min(max(limit, 1), MAX_PAGE), before, **filters)
    items = [run_public(r) for r in rows]
    total = store.count_runs(work.conn, rule_id, **filters)
    schema = work.catalog.schemas.get(int(rule["table_id"]))
    ids = {r["record_id"] for r in rows if r["record_id"]}
    titles = engine.runtime.titles(work, schema, ids) if schema and ids else {}
    for item in items:
        rid = item["record_id"]
        item["record"] = (
            None
            if not rid or schema is None
            else {"id": rid, "title": titles.get(rid) or f"#{rid}", "table": schema.table.key}
        )
    waits = [
        {"run_id": j["run_id"], "due_at": iso(j["due_at"])}
        for j in store.pending_jobs(work.conn, rule_id)
    ]
    return {"items": items, "total": total, "waiting": waits}
