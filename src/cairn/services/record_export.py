"""Exports of a table's records as CSV or xlsx, as the principal may export them; audited."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from cairn.auth import SYSTEM, Entry, Principal
from cairn.auth.guard import guard
from cairn.core import Invalid, Message
from cairn.core.i18n import DEFAULT_LANGUAGE, render
from cairn.meta import Field
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
        columns' labels in ``language``.

        A sub-form's rows: in xlsx, the column holds the row count and each sub-form has a
        sheet of its own (named after it) with a row per sub-form row: the parent record's
        id, the row's number in its list, then its columns (the first sheet then has the id
        column first, to join on). In CSV, the column holds the rows as JSON text: a list of
        ``{column key: value}`` as the rows sheet shows them."""
        if fmt not in ("csv", "xlsx"):
            raise Invalid.on("format", "value.choice", value=fmt)
        buf = io.StringIO()
        writer = csv.writer(buf)
        rows: list[list[Any]] = []
        cursor: str | None = None
        with unit_of_work(self.s, write=False, principal=principal, reads_only=True) as uow:
            s = uow.catalog.table(app, table)
            g = guard(uow)
            g.require(s, "export")
            visible = g.visible(s, s.fields)
            keys, header = export_columns(s, visible, fields, language)
            subforms = [
                f for f in (s.by_key.get(k) for k in keys) if f is not None and f.is_subform
            ]
            sheets = [RowsSheet.of(uow, s, f, language) for f in subforms]
            if sheets and fmt == "xlsx" and "id" not in keys:
                keys, header = export_columns(s, visible, ["id", *keys], language)
        expand = [sheet.field.key for sheet in sheets]
        if fmt == "csv":
            writer.writerow([csv_cell(h) for h in header])
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
                expand=expand,
                principal=principal,
                action="export",
            )
            self._name_references(app, table, keys, page["items"], principal)
            for sheet in sheets:
                self._rows_of_page(app, sheet, page["items"], fmt == "csv", principal)
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
            more = [Tabular(sh.title, sh.header, sh.rows) for sh in sheets]
            return to_xlsx(Tabular(title, header or [], rows), *more)
        return ("\ufeff" + buf.getvalue()).encode("utf-8")

    def _rows_of_page(
        self,
        app: str,
        sheet: RowsSheet,
        items: list[dict[str, Any]],
        as_json: bool,
        principal: Principal,
    ) -> None:
        """The sub-form rows of a page of records into ``sheet`` (xlsx: the record keeps the
        row count) or, ``as_json``, into each record's cell as JSON text. Linked records and
        users named as in the records' own columns."""
        key = sheet.field.key
        flat: list[dict[str, Any]] = []
        for item in items:
            value = item.get(key)
            if isinstance(value, list):
                flat += [r for r in value if isinstance(r, dict)]
        self._name_references(app, sheet.table, sheet.keys, flat, principal)
        for item in items:
            value = item.get(key)
            if not isinstance(value, list):
                continue
            listed = [r for r in value if isinstance(r, dict)]
            if as_json:
                shown = [{k: r.get(k) for k in sheet.keys} for r in listed]
                item[key] = json.dumps(shown, ensure_ascii=False, default=str) if shown else ""
                continue
            item[key] = len(listed)
            for n, r in enumerate(listed, 1):
                sheet.rows.append([item["id"], n, *(xlsx_cell(r.get(k)) for k in sheet.keys)])

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


@dataclass
class RowsSheet:
    """The sheet of one exported sub-form's rows: the parent record's id, the row's number,
    then the columns the principal may read."""

    field: Field
    table: str
    title: str
    keys: list[str]
    header: list[str]
    rows: list[list[Any]] = dc_field(default_factory=list)

    @classmethod
    def of(cls, uow: UnitOfWork, s: TableSchema, f: Field, language: str) -> RowsSheet:
        child = s.subforms[f.id]
        visible = guard(uow).visible(child, child.fields)
        keys, labels = export_columns(child, visible, None, language)
        head = [
            render(Message("column.parent_id"), language),
            render(Message("column.row"), language),
        ]
        return cls(f, child.table.key, f.name, keys, head + labels)
