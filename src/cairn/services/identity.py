"""One-ID's review queue and matching: the duplicate suggestions of a table (list, decide
one, decide many) and ``match`` (which records a set of values would match).

Reading the queue needs read on the table, and a pair is listed only when the reader may
see both records (their row scope, in SQL); a decision needs update. "Not the same" is
remembered: the pair is never suggested again (``store.identity.upsert_suggestions``).
Merging is the merge service's; this one never changes records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Entry, Principal
from cairn.auth.guard import guard
from cairn.core import Invalid, NotFound
from cairn.identity.resolve import match
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import TableSchema
from cairn.store import identity as store

if TYPE_CHECKING:
    from cairn.services.context import Services

STATUSES = ("open", "later", "not_same", "merged", "auto")
#: What a reviewer may decide (a merge is the merge service's).
DECISIONS = ("not_same", "later", "open")
MAX_PAGE = 200
#: Pairs decided in one bulk call at most.
MAX_BULK = 1_000


class IdentityService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def duplicates(
        self,
        app: str,
        table: str,
        status: str = "open",
        limit: int = 50,
        offset: int = 0,
        principal: Principal = SYSTEM,
    ) -> dict[str, Any]:
        if status not in STATUSES:
            raise Invalid.on("status", "identity.status", statuses=", ".join(STATUSES))
        if not 1 <= limit <= MAX_PAGE:
            raise Invalid.on("limit", "identity.limit", max=MAX_PAGE)
        if offset < 0:
            raise Invalid.on("offset", "identity.offset")
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            g = guard(uow)
            g.require(s, "read")
            where = g.row_where(s, "read") if g.access(s).scoped("read") else None
            visible = store.visible_ids(s, where) if where is not None else None
            rows, total = store.list_suggestions(uow.conn, s.id, status, limit, offset, visible)
            return {"items": self._items(uow, s, rows), "total": total}

    def decide(
        self,
        app: str,
        table: str,
        suggestion_id: int,
        decision: Any,
        principal: Principal = SYSTEM,
    ) -> dict[str, Any]:
        with unit_of_work(self.s, principal=principal) as uow:
            s = self._deciding(uow, app, table, decision)
            row = store.suggestion(uow.conn, s.id, suggestion_id)
            if row is None or not self._may_see(uow, s, [row]):
                raise NotFound("identity.suggestion_not_found", id=suggestion_id)
            if row.status == "merged":
                raise Invalid.on("decision", "identity.decided_merged")
            store.decide(uow.conn, s.id, [suggestion_id], decision, uow.actor_id, uow.now)
            details = {
                "decision": decision,
                "before": row.status,
                "pair": [row.record_a, row.record_b],
            }
            uow.audit(Entry("duplicate.decide", "table", s.id, s.app.id, s.id, details))
            fresh = store.suggestion(uow.conn, s.id, suggestion_id)
            return self._items(uow, s, [fresh])[0]

    def decide_many(
        self, app: str, table: str, ids: Any, decision: Any, principal: Principal = SYSTEM
    ) -> dict[str, int]:
        if (
            not isinstance(ids, list)
            or not ids
            or len(ids) > MAX_BULK
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
        ):
            raise Invalid.on("ids", "identity.ids", max=MAX_BULK)
        with unit_of_work(self.s, principal=principal) as uow:
            s = self._deciding(uow, app, table, decision)
            rows = [
                r for r in (store.suggestion(uow.conn, s.id, i) for i in dict.fromkeys(ids)) if r
            ]
            rows = self._may_see(uow, s, rows)
            changed = store.decide(
                uow.conn, s.id, [r.id for r in rows], decision, uow.actor_id, uow.now
            )
            if changed:
                details = {"decision": decision, "ids": changed}
                uow.audit(Entry("duplicate.decide_many", "table", s.id, s.app.id, s.id, details))
            return {"updated": len(changed)}

    def match(
        self, app: str, table: str, values: Any, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        """Which live records ``values`` (field key → value as typed) would match under the
        table's enabled rules, best first (for an import's upsert by One-ID, a form's "this
        customer may exist already", the bench)."""
        if not isinstance(values, dict):
            raise Invalid.on("values", "filter.shape")
        # Reads only: on PostgreSQL without BEGIN/COMMIT (two round trips fewer a call).
        with unit_of_work(self.s, write=False, principal=principal, reads_only=True) as uow:
            s = uow.catalog.table(app, table)
            g = guard(uow)
            g.require(s, "read")
            found = self.match_in(uow, s, values)
            if found and g.access(s).scoped("read"):
                mine = set(g.in_scope(s, [c["record_id"] for c in found], "read"))
                found = [c for c in found if c["record_id"] in mine]
            return {"candidates": found}

    def match_in(
        self, uow: UnitOfWork, s: TableSchema, values: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """``match`` inside the caller's unit of work, without permission checks: what an
        import (upsert by One-ID) or the bench calls."""
        return match(uow, s, values, self.s.identity_rules_cache.for_table(uow, s.id))

    # -- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _deciding(uow: UnitOfWork, app: str, table: str, decision: Any) -> TableSchema:
        if decision not in DECISIONS:
            raise Invalid.on("decision", "identity.decision", decisions=", ".join(DECISIONS))
        s = uow.catalog.table(app, table)
        guard(uow).require(s, "update")
        return s

    @staticmethod
    def _may_see(uow: UnitOfWork, s: TableSchema, rows: list[Any]) -> list[Any]:
        """The pairs whose both records the principal may update."""
        g = guard(uow)
        if not rows or not g.access(s).scoped("update"):
            return rows
        ids = sorted({r.record_a for r in rows} | {r.record_b for r in rows})
        mine = set(g.in_scope(s, ids, "update"))
        return [r for r in rows if r.record_a in mine and r.record_b in mine]

    def _items(self, uow: UnitOfWork, s: TableSchema, rows: list[Any]) -> list[dict[str, Any]]:
        ids = sorted({r.record_a for r in rows} | {r.record_b for r in rows})
        read = {r["id"]: r for r in self.s.records.read_rows(uow, s, ids)} if ids else {}
        names = {r.id: r.name for r in store.rules(uow.conn, s.id)}
        title = s.display_field

        def record(rid: int) -> dict[str, Any]:
            got = read.get(rid) or {}
            values = {k: v for k, v in got.items() if k in s.by_key}
            shown = values.get(title.key) if title is not None else None
            return {
                "id": rid,
                "title": str(shown) if shown not in (None, "") else None,
                "values": values,
            }

        return [
            {
                "id": r.id,
                "score": r.score,
                "status": r.status,
                "rule": {"id": r.rule_id, "name": names.get(r.rule_id)} if r.rule_id else None,
                "record_a": record(r.record_a),
                "record_b": record(r.record_b),
                "evidence": list(r.evidence or []),
                "created_at": r.created_at.isoformat(),
            }
            for r in rows
        ]
