"""Exports of a table's records as CSV or xlsx, as the principal may export them; audited."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from cairn.auth import SYSTEM, Entry, Principal
from cairn.auth.guard import guard
from cairn.core import Invalid
from cairn.core.i18n import DEFAULT_LANGUAGE
from cairn.meta.values import ids_in
from cairn.query import build_select
from cairn.query.cells import csv_cell, export_columns, holds_users, name_values, redact, xlsx_cell
from cairn.reports.export import Tabular, to_xlsx
from cairn.services.record_reads import CHUNK, RecordReads
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import TableSchema
from cairn.store import users as store_users


class RecordExport(RecordReads):
    def export_csv(
        self,
        app: str,
        table: str,
        *,
        filter: Any = None,
        sort: Any = None,
        fields: Sequence[str] | None = None,
        principal: Principal = SYSTEM,
        language: str = DEFAULT_LANGUAGE,
    ) -> str:
        """Every record matching ``filter`` that the principal may export, as CSV (UTF-8 with
        a byte-order mark so spreadsheet programs read Chinese correctly); masked fields stay
        masked. The export is written to the audit log."""
        data = self.export(
            app,
            table,
            "csv",
            filter=filter,
            sort=sort,
            fields=fields,
            principal=principal,
            language=language,
        )
        return data.decode("utf-8")

    def export(
        self,
        app: str,
        table: str,
        fmt: str = "csv",
        *,
        filter: Any = None,
        sort: Any = None,
        fields: Sequence[str] | None = None,
        principal: Principal = SYSTEM,
        language: str = DEFAULT_LANGUAGE,
    ) -> bytes:
        """Every record matching ``filter`` (in ``sort`` order) that the principal may export,
        as ``csv`` (UTF-8 with a BOM) or ``xlsx``; masked fields stay masked; text a
        spreadsheet would run as a formula stays text. Audited.

        The columns are ``fields`` in their order (each once), or every field the principal
        may read; the system columns (``id``, ``version``, ``created_at``, ``updated_at``) only
        when ``fields`` names them. The header row holds the field names and the system
        columns' labels in ``language``."""
        if fmt not in ("csv", "xlsx"):
            raise Invalid.on("format", "value.choice", value=fmt)
        buf = io.StringIO()
        writer = csv.writer(buf)
        rows: list[list[Any]] = []
        cursor: str | None = None
        keys: list[str] = []
        header: list[str] | None = None
        count = 0
        while True:
            page = self.query(
                app,
                table,
                filter=filter,
                sort=sort,
                fields=fields,
                limit=self.s.settings.page_limit,
                cursor=cursor,
                principal=principal,
                action="export",
            )
            if header is None:  # the first page checked the permission and the field keys
                with unit_of_work(self.s, write=False, principal=principal, reads_only=True) as uow:
                    s = uow.catalog.table(app, table)
                    visible = guard(uow).visible(s, s.fields)
                keys, header = export_columns(s, visible, fields, language)
                if fmt == "csv":
                    writer.writerow([csv_cell(h) for h in header])
            self._name_references(app, table, keys, page["items"], principal)
            for item in page["items"]:
                if fmt == "csv":
                    writer.writerow([csv_cell(item.get(k)) for k in keys])
                else:
                    rows.append([xlsx_cell(item.get(k)) for k in keys])
                count += 1
            cursor = page["next_cursor"]
            if not cursor:
                break
        with unit_of_work(self.s, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            details = {"count": count, "filter": redact(s, filter), "fields": fields, "format": fmt}
            uow.audit(Entry("record.export", "table", s.id, s.app.id, s.id, details))
            title = s.table.name
        if fmt == "xlsx":
            return to_xlsx(Tabular(title, header or [], rows))
        return ("\ufeff" + buf.getvalue()).encode("utf-8")

    def _name_references(
        self,
        app: str,
        table: str,
        keys: Sequence[str],
        items: list[dict[str, Any]],
        principal: Principal,
    ) -> None:
        """An export page's linked records and users as people read them, in place: a linked
        record by its title (``titles``; one outside the principal's read scope is left out),
        a user (a user field, or a lookup of one) by display name; a masked value stays as it
        is. Set-based: one query per relation column and one for every user of the page."""
        with unit_of_work(self.s, write=False, principal=principal, reads_only=True) as uow:
            cat = uow.catalog
            s = cat.table(app, table)
            user_keys: list[str] = []
            for k in keys:
                f = s.by_key.get(k)
                if f is None:
                    continue
                if f.is_relation:
                    ts = cat.schema(int(f.options["target_table_id"]))
                    ids = {i for it in items for i in ids_in(it.get(k))}
                    name_values(items, k, self.titles(uow, ts, ids), unknown="")
                elif holds_users(cat, f):
                    user_keys.append(k)
            if not user_keys:
                return
            ids = {i for it in items for k in user_keys for i in ids_in(it.get(k))}
            names = store_users.display_names(uow.conn, ids)
        for k in user_keys:
            name_values(items, k, names, unknown="#")

    def titles(self, uow: UnitOfWork, ts: TableSchema, ids: set[int]) -> dict[int, Any]:
        """``{id: title}`` of the live records ``ids`` of ``ts`` the principal may read (the
        others are left out): the display field's value as they read it (masked stays
        masked), or ``#id`` when it is hidden from them, empty or the table has none. One
        query per 900 ids."""
        g = guard(uow)
        if not ids or not g.access(ts).can("read"):
            return {}
        d = ts.display_field
        shown = [d] if d is not None and not d.is_relation and g.visible(ts, [d]) else []
        wanted = sorted(ids)
        dump = self.row_dump(uow)
        out: dict[int, Any] = {}
        for i in range(0, len(wanted), CHUNK):
            chunk = wanted[i : i + CHUNK]
            plan = build_select(
                uow.catalog,
                ts,
                filter={"field": "id", "op": "in", "value": chunk},
                fields=[f.key for f in shown],
                limit=len(chunk),
                clock=self.s.clock,
                extra_where=g.row_where(ts),
            )
            rows = list(uow.conn.execute(plan.select))
            for r in dump.rows(ts, rows, shown):
                title = r.get(d.key) if shown and d is not None else None
                out[r["id"]] = f"#{r['id']}" if title in (None, "", []) else title
        return out
