"""Reading records as a principal may: one record, a page of a query, records by id."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Principal, masking
from cairn.auth.guard import guard
from cairn.core import Invalid, NotFound
from cairn.query import QueryPlan, build_select, compile_filter
from cairn.query.by_ids import read_by_ids
from cairn.query.count_cache import count_key
from cairn.query.counts import Count, CountMode
from cairn.query.dump import RowDump, check_expand, selected_fields
from cairn.query.plans import plan_key
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import TableSchema, merges

if TYPE_CHECKING:
    from cairn.services.context import Services

#: Ids per ``IN (…)`` query.
CHUNK = 900


class RecordReads:
    def __init__(self, services: Services) -> None:
        self.s = services

    def get(
        self,
        app: str,
        table: str,
        record_id: int,
        expand: Sequence[str] = (),
        principal: Principal = SYSTEM,
    ) -> dict[str, Any]:
        with unit_of_work(self.s, write=False, principal=principal, reads_only=True) as uow:
            s = uow.catalog.table(app, table)
            guard(uow).require(s, "read")
            rows = self.read_rows(uow, s, [record_id], expand=expand)
            if rows:
                return rows[0]
            # A merged tombstone answers with its survivor, saying so: old links and API ids
            # keep working, and a client that cares sees ``merged_into`` (and may redirect).
            into = merges.survivors(uow.conn, s.id, [record_id]).get(record_id)
            rows = self.read_rows(uow, s, [into], expand=expand) if into is not None else []
            if not rows:
                raise NotFound("record.not_found", id=record_id)
            return {**rows[0], "merged_into": into, "merged_from": record_id}

    def query(
        self,
        app: str,
        table: str,
        *,
        filter: Any = None,
        sort: Any = None,
        limit: int = 50,
        cursor: str | None = None,
        fields: Sequence[str] | None = None,
        expand: Sequence[str] = (),
        count: CountMode = False,
        principal: Principal = SYSTEM,
        action: str = "read",
    ) -> dict[str, Any]:
        """A page of ``table``'s records as ``principal`` may read them. ``count``: the total
        too (``total``), exact when that is cheap, else bounded or estimated as ``total_kind``
        says (``query.counts``); ``"exact"``: always exact."""
        with unit_of_work(self.s, write=False, principal=principal, reads_only=True) as uow:
            cat = uow.catalog
            s = cat.table(app, table)
            g = guard(uow)
            g.require(s, action)
            g.check_names(s, filter, sort)
            if (
                not isinstance(limit, int)
                or isinstance(limit, bool)
                or not 1 <= limit <= self.s.settings.page_limit
            ):
                raise Invalid.on("limit", "value.max", max=self.s.settings.page_limit)
            visible = g.visible(s, s.fields)
            selected = selected_fields(s, fields, visible)
            check_expand(s, expand, visible)
            keys = [f.key for f in selected]
            # A plan with a row scope is the principal's own (keyed on them); one whose scope is
            # a role's row filter is never reused. The scope's SQL is built only with the plan.
            scope = g.scope_key(s, action) if g.access(s).scoped(action) else ""
            key = (
                plan_key(
                    cat.version,
                    s.id,
                    filter=filter,
                    sort=sort,
                    fields=keys,
                    limit=limit,
                    cursor=cursor,
                )
                if scope is not None
                else None
            )
            if key is not None and scope:
                key = f"{key}|{scope}"
            plan = self.s.plans.get(
                key,
                lambda: build_select(
                    cat,
                    s,
                    filter=filter,
                    sort=sort,
                    fields=keys,
                    limit=limit,
                    cursor=cursor,
                    clock=self.s.clock,
                    extra_where=g.row_where(s, action),
                    extra_where_reusable=bool(scope),
                    owners=g.few_owners(s, action) if scope else None,
                ),
            )
            # A kept plan runs its prepared statement; a one-off one goes through Core.
            kept = key is not None and plan.reusable
            fetched = plan.fetch(uow.conn) if kept else uow.conn.execute(plan.select).all()
            rows, next_cursor = plan.page(fetched)
            # A page shows a sub-form's row count (one grouped query), its rows when expanded.
            items = self.row_dump(uow, row_counts=True).rows(s, rows, selected, expand)
            total = self._count(uow, s, plan, filter, scope, rows, cursor, next_cursor, count)
        self.s.indexes.note_page(cat.version, s.id, plan.used, plan.shape)
        for table_id, used in plan.related_used.items():  # compared through a lookup
            self.s.indexes.note(cat.version, table_id, used)
        if scope:  # rows limited to owners: sorted pages want the owner in the sort's index
            self.s.indexes.note(cat.version, s.id, plan.sorted_by, self.s.indexes.scoped_kind)
        return {
            "items": items,
            "next_cursor": next_cursor,
            "total": total.value if total else None,
            "total_kind": total.kind if total else None,
        }

    def check_filter(
        self, app: str, table: str, filter: Any, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        """Whether ``filter`` is a valid filter of ``table`` for ``principal``: the checks of
        ``query`` (names they may not filter on, formula types) without running anything."""
        with unit_of_work(self.s, write=False, principal=principal, reads_only=True) as uow:
            s = uow.catalog.table(app, table)
            g = guard(uow)
            g.require(s, "read")
            g.check_names(s, filter, None)
            compile_filter(uow.catalog, s, filter, self.s.clock)
        return {"ok": True}

    def _count(
        self,
        uow: UnitOfWork,
        s: TableSchema,
        plan: QueryPlan,
        filter: Any,
        scope: str | None,
        rows: Sequence[Any],
        cursor: str | None,
        next_cursor: str | None,
        count: CountMode,
    ) -> Count | None:
        """The page's total: none unless asked; the rows themselves when the first page is
        the last; else counted (kept per filter and row scope while the data is unchanged)."""
        if not count:
            return None
        if cursor is None and next_cursor is None:
            return Count(len(rows), "exact")
        key = (
            count_key(uow.catalog.version, s.id, filter, scope)
            if scope is not None and plan.count_reusable
            else None
        )
        return self.s.counts.count(
            uow.conn, uow.catalog, s.id, plan.count_select, key=key, exact=count == "exact"
        )

    def read_rows(
        self,
        uow: UnitOfWork,
        schema: TableSchema,
        ids: Sequence[int],
        expand: Sequence[str] = (),
    ) -> list[dict[str, Any]]:
        """Live records by id, in the order of ``ids``, as the unit of work's principal may see
        them (records outside the read scope are left out; so is a table they may not read)."""
        s = schema
        g = guard(uow)
        if not g.access(s).can("read"):
            return []
        visible = g.visible(s, s.fields)
        check_expand(s, expand, visible)
        dump = self.row_dump(uow)
        # The query is kept per catalogue snapshot (``query.by_ids``); a row scope is in it
        # as the reader's (resolved in SQL), a role's row filter is built each time.
        scope = g.scope_key(s) if g.access(s).scoped("read") else ""
        out: dict[int, dict[str, Any]] = {}
        for i in range(0, len(ids), CHUNK):
            chunk = list(ids[i : i + CHUNK])
            rows = read_by_ids(
                uow.conn,
                uow.catalog,
                s,
                chunk,
                clock=self.s.clock,
                row_where=partial(g.row_where, s),
                scope=scope,
            )
            for r in dump.rows(s, rows, visible, expand):
                out[r["id"]] = r
        return [out[i] for i in ids if i in out]

    def row_dump(self, uow: UnitOfWork, row_counts: bool = False) -> RowDump:
        """Rows as JSON for the unit of work's principal (their masked fields masked; expanded
        records read as they may); ``row_counts``: sub-forms show how many rows they hold
        (a page), not the rows (one record)."""
        g = guard(uow)
        return RowDump(
            uow.conn,
            uow.catalog,
            self.s.field_ctx.timezone,
            masked=lambda s: g.view(s)[1],
            mask=masking.mask,
            read=partial(self.read_rows, uow),
            clock=self.s.clock,
            row_counts=row_counts,
        )
