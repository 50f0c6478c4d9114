"""Records: the use cases behind the records API.

A write is one transaction: validate every value (collecting every error), check references and
unique values in one query per field for the whole batch, assign auto numbers, write the rows
and links, one history row and one outbox event per record. Any error leaves nothing behind.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from copy import copy
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Entry, Principal, masking
from cairn.core import (
    Conflict,
    Event,
    FieldErrors,
    Forbidden,
    Invalid,
    Message,
    NotFound,
    is_id,
)
from cairn.core import events as ev
from cairn.core.i18n import DEFAULT_LANGUAGE, render
from cairn.meta import BadValue, Field, format_number, is_blank
from cairn.meta.fieldtypes.dates import dump_datetime, dump_datetimes
from cairn.services.computed import ComputedWatch
from cairn.services.guard import guard
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import Catalog, TableSchema, history, records
from cairn.store import files as store_files
from cairn.store import users as store_users
from cairn.store.sensitive import sealed
from cairn.store.stats import analyze

if TYPE_CHECKING:
    from cairn.services.context import Services

SYSTEM_INPUT_KEYS = frozenset(
    {"id", "version", "created_at", "updated_at", "created_by", "owner_id"}
)
#: The system columns a record carries besides its fields: an export has them when asked.
EXPORT_SYSTEM_COLUMNS = ("id", "version", "created_at", "updated_at")


class Prepared:
    """One record's coerced input: column values and relation links."""

    __slots__ = ("columns", "index", "links", "record_id", "version")

    def __init__(
        self, index: int, record_id: int | None = None, version: int | None = None
    ) -> None:
        self.index = index
        self.record_id = record_id
        self.version = version
        self.columns: dict[int, Any] = {}
        self.links: dict[int, list[int]] = {}


class _Repoints:
    """The records of one table that a write re-points through relations whose links live on
    them: why each is touched (item index, field key written), the relation fields holding
    those links on them, and those links before the write."""

    __slots__ = ("before", "causes", "fields", "schema")

    def __init__(self, schema: TableSchema) -> None:
        self.schema = schema
        self.causes: dict[int, tuple[int, str]] = {}
        self.fields: list[Field] = []
        self.before: dict[int, dict[int, list[int]]] = {}


class RecordService:
    def __init__(self, services: Services) -> None:
        self.s = services

    # -- reads -----------------------------------------------------------------------------
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
            rows = self._read(uow, s, [record_id], expand=expand)
            if not rows:
                raise NotFound("record.not_found", id=record_id)
            return rows[0]

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
        count: bool = False,
        principal: Principal = SYSTEM,
        action: str = "read",
    ) -> dict[str, Any]:
        from cairn.query import build_select
        from cairn.query.plans import plan_key

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
            selected = self._selected(s, fields, visible)
            self._check_expand(s, expand, visible)
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
            items = self._dump_rows(uow, s, rows, selected, expand)
            total = uow.conn.execute(plan.count_select).scalar_one() if count else None
        self.s.indexes.note(cat.version, s.id, plan.used)
        if scope:  # rows limited to owners: sorted pages want the owner in the sort's index
            self.s.indexes.note(cat.version, s.id, plan.sorted_by, self.s.indexes.scoped_kind)
        return {"items": items, "next_cursor": next_cursor, "total": total}

    def _selected(
        self, s: TableSchema, fields: Sequence[str] | None, visible: Sequence[Field]
    ) -> list[Field]:
        if fields is None:
            return list(visible)
        errors = FieldErrors()
        out = []
        allowed = {f.key for f in visible}
        for k in fields:
            if k in SYSTEM_INPUT_KEYS:
                continue
            f = s.by_key.get(k) if isinstance(k, str) else None
            if f is None or f.key not in allowed:
                errors.add("fields", Message("field.unknown", {"key": k}))
            else:
                out.append(f)
        errors.raise_if_any()
        return out

    def _check_expand(
        self, s: TableSchema, expand: Sequence[str], visible: Sequence[Field] | None = None
    ) -> None:
        allowed = None if visible is None else {f.key for f in visible}
        for k in expand:
            f = s.by_key.get(k) if isinstance(k, str) else None
            if f is None or f.type != "relation" or (allowed is not None and k not in allowed):
                raise Invalid.on("expand", "expand.field", field=k)

    def read_rows(
        self, uow: UnitOfWork, schema: TableSchema, ids: Sequence[int]
    ) -> list[dict[str, Any]]:
        """Live records by id in ``uow``, as its principal may see them (``_read``)."""
        return self._read(uow, schema, ids)

    def _read(
        self, uow: UnitOfWork, s: TableSchema, ids: Sequence[int], expand: Sequence[str] = ()
    ) -> list[dict[str, Any]]:
        """Live records by id, in the order of ``ids``, as the principal may see them (records
        outside the read scope are left out; so is a table the principal may not read)."""
        from cairn.query import build_select

        g = guard(uow)
        if not g.access(s).can("read"):
            return []
        visible = g.visible(s, s.fields)
        self._check_expand(s, expand, visible)
        out: dict[int, dict[str, Any]] = {}
        for i in range(0, len(ids), 900):
            chunk = list(ids[i : i + 900])
            plan = build_select(
                uow.catalog,
                s,
                filter={"field": "id", "op": "in", "value": chunk},
                limit=len(chunk),
                clock=self.s.clock,
                extra_where=g.row_where(s),
            )
            rows = list(uow.conn.execute(plan.select))
            for r in self._dump_rows(uow, s, rows, visible, expand):
                out[r["id"]] = r
        return [out[i] for i in ids if i in out]

    def _dump_rows(
        self,
        uow: UnitOfWork,
        s: TableSchema,
        rows: Sequence[Any],
        selected: Sequence[Field],
        expand: Sequence[str],
    ) -> list[dict[str, Any]]:
        if not rows:
            return []
        cat = uow.catalog
        tz = self.s.field_ctx.timezone
        position = {name: i for i, name in enumerate(rows[0]._fields)}

        def column(name: str) -> list[Any]:
            """One column of the rows (a C-level map)."""
            return list(map(itemgetter(position[name]), rows))

        ids = column("id")
        links: dict[int, dict[int, list[int]]] = {}
        for f in selected:
            if f.type == "relation" and ids:
                links[f.id] = records.read_links(uow.conn, cat, f, ids)
        expanded: dict[int, dict[int, dict[str, Any]]] = {}
        for key in expand:
            f = s.by_key[key]
            if f.id not in links:
                links[f.id] = records.read_links(uow.conn, cat, f, ids)
            targets = sorted({t for ts in links[f.id].values() for t in ts})
            ts = cat.schema(f.options["target_table_id"])
            expanded[f.id] = {r["id"]: r for r in self._read(uow, ts, targets)} if targets else {}
        files = self._files(uow, rows, [f for f in selected if f.type == "attachment"])
        # Built column by column, then zipped into objects.
        keys = ["id", "version", "created_at", "updated_at"]
        created, updated = column("created_at"), column("updated_at")
        created_text = dump_datetimes(created, tz)
        columns: list[list[Any]] = [
            ids,
            column("version"),
            created_text,
            [
                c if u == v else _dt(u, tz)
                for u, v, c in zip(updated, created, created_text, strict=True)
            ],
        ]
        _, masked = guard(uow).view(s)
        for f in selected:
            keys.append(f.key)
            if f.type == "relation":
                columns.append(self._relation_values(f, ids, links[f.id], expanded.get(f.id)))
            else:
                values = column(f.column_name) if f.column_name in position else None
                columns.append(self._column(cat, s, f, values, files, len(rows)))
            if f.id in masked:  # shown masked to this reader: the whole column at once
                columns[-1] = list(map(masking.mask, columns[-1]))
        return list(map(dict, map(partial(zip, keys), zip(*columns, strict=True))))

    def _column(
        self,
        cat: Catalog,
        s: TableSchema,
        f: Field,
        values: list[Any] | None,
        files: dict[str, Any],
        count: int,
    ) -> list[Any]:
        """One field's values of a page (None: the page did not select its column), as JSON
        values."""
        dump = self._dumper(cat, s, f) or (
            _identity if s.types[f.id].value_type in ("text", "user") else _json_value
        )
        if f.type == "attachment":
            dump = _with_files(dump, files)
        if values is None:
            return [dump(None)] * count
        if f.type == "datetime":
            return dump_datetimes(values, self.s.field_ctx.timezone)
        if dump is _identity:
            return values
        return list(map(dump, values))

    @staticmethod
    def _relation_values(
        f: Field,
        ids: list[int],
        links: dict[int, list[int]],
        expanded: dict[int, dict[str, Any]] | None,
    ) -> list[Any]:
        single = not f.options.get("multiple", True)
        out: list[Any] = []
        for rid in ids:
            linked = links.get(rid, [])
            value: Any = (
                linked if expanded is None else [expanded[t] for t in linked if t in expanded]
            )
            out.append((value[0] if value else None) if single else value)
        return out

    @staticmethod
    def _dumper(cat: Catalog, s: TableSchema, f: Field) -> Any:
        """How a field's value becomes JSON; a lookup shows its target field as that field would."""
        if f.type != "lookup":
            return s.dumpers.get(f.id)
        relation = s.by_id.get(f.options.get("relation_field_id", 0))
        target_field = cat.all_fields.get(f.options.get("target_field_id", 0))
        if relation is None or target_field is None:
            return None
        target = cat.schemas.get(target_field.table_id)
        inner = (target.dumpers.get(target_field.id) if target else None) or _json_value
        if not relation.options.get("multiple", True):
            return lambda v: None if v is None else inner(v)

        def dump_many(v: Any) -> list[Any]:
            items = json.loads(v) if isinstance(v, str) else (v or [])
            return [None if x is None else inner(x) for x in items]

        return dump_many

    @staticmethod
    def _files(uow: UnitOfWork, rows: Sequence[Any], fields: Sequence[Field]) -> dict[str, Any]:
        """Name, size and type of every file the page's attachment fields hold: one query."""
        ids: set[str] = set()
        for f in fields:
            for r in rows:
                v = r._mapping.get(f.column_name)
                if v:
                    ids.update(json.loads(v))
        return store_files.describe(uow.conn, ids)

    def history(
        self,
        app: str,
        table: str,
        record_id: int,
        limit: int = 200,
        principal: Principal = SYSTEM,
    ) -> dict[str, Any]:
        from cairn.auth import masking

        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            g = guard(uow)
            g.require(s, "read")
            created = records.creation(uow.conn, s, record_id)
            if created is None or not g.in_scope(s, [record_id], "read"):
                raise NotFound("record.not_found", id=record_id)
            hidden, masked = g.view(s)
            entries = []
            tz = self.s.field_ctx.timezone
            logged = history.for_record(uow.conn, s.id, record_id, limit=limit)
            for h in logged:
                changes = []
                for fid, (before, after) in h.changes.items():
                    f = uow.catalog.all_fields.get(int(fid))
                    if int(fid) in hidden or (f is None and not g.unrestricted):
                        continue
                    if int(fid) in masked:
                        before, after = masking.mask(before), masking.mask(after)
                    changes.append(
                        {
                            "field": f.key if f else None,
                            "name": f.name if f else None,
                            "before": before,
                            "after": after,
                        }
                    )
                entries.append(
                    {
                        "id": h.id,
                        "version": h.version,
                        "action": h.action,
                        "at": _dt(h.at, tz),
                        "actor_id": h.actor_id,
                        "changes": changes,
                    }
                )
            if len(logged) < limit:  # the whole history: it starts with the creation
                entries.append(
                    {
                        "id": None,
                        "version": 1,
                        "action": "create",
                        "at": _dt(created.created_at, tz),
                        "actor_id": created.created_by,
                        "changes": [],
                    }
                )
            return {"items": entries}

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
        import csv
        import io

        from cairn.reports.export import Tabular, to_xlsx

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
                keys, header = self._export_columns(app, table, fields, principal, language)
                if fmt == "csv":
                    writer.writerow([_csv_cell(h) for h in header])
            self._name_references(app, table, keys, page["items"], principal)
            for item in page["items"]:
                if fmt == "csv":
                    writer.writerow([_csv_cell(item.get(k)) for k in keys])
                else:
                    rows.append([_xlsx_cell(item.get(k)) for k in keys])
                count += 1
            cursor = page["next_cursor"]
            if not cursor:
                break
        with unit_of_work(self.s, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            uow.audit(
                Entry(
                    "record.export",
                    "table",
                    s.id,
                    s.app.id,
                    s.id,
                    {
                        "count": count,
                        "filter": _redact(s, filter),
                        "fields": fields,
                        "format": fmt,
                    },
                )
            )
            title = s.table.name
        if fmt == "xlsx":
            return to_xlsx(Tabular(title, header or [], rows))
        return ("\ufeff" + buf.getvalue()).encode("utf-8")

    def _export_columns(
        self,
        app: str,
        table: str,
        fields: Sequence[str] | None,
        principal: Principal,
        language: str,
    ) -> tuple[list[str], list[str]]:
        """The keys of an export's columns and their header labels (see ``export``)."""
        with unit_of_work(self.s, write=False, principal=principal, reads_only=True) as uow:
            s = uow.catalog.table(app, table)
            visible = guard(uow).visible(s, s.fields)
        if fields is None:
            keys = [f.key for f in visible]
        else:
            readable = {f.key for f in visible}
            keys = list(
                dict.fromkeys(k for k in fields if k in EXPORT_SYSTEM_COLUMNS or k in readable)
            )
        labels = [
            render(Message(f"column.{k}"), language)
            if k in EXPORT_SYSTEM_COLUMNS
            else s.by_key[k].name
            for k in keys
        ]
        return keys, labels

    def _name_references(
        self,
        app: str,
        table: str,
        keys: Sequence[str],
        items: list[dict[str, Any]],
        principal: Principal,
    ) -> None:
        """An export page's linked records and users as people read them, in place: a linked
        record by its title (``_titles``; one outside the principal's read scope is left out),
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
                if f.type == "relation":
                    ts = cat.schema(int(f.options["target_table_id"]))
                    ids = {i for it in items for i in _ids_in(it.get(k))}
                    titles = self._titles(uow, ts, ids)
                    for it in items:
                        v = it.get(k)
                        named = [titles.get(i) if is_id(i) else i for i in _listed(v)]
                        named = [x for x in named if x is not None]
                        it[k] = named if isinstance(v, list) else (named[0] if named else None)
                elif _holds_users(cat, f):
                    user_keys.append(k)
            if not user_keys:
                return
            ids = {i for it in items for k in user_keys for i in _ids_in(it.get(k))}
            names = store_users.display_names(uow.conn, ids)
        for it in items:
            for k in user_keys:
                v = it.get(k)
                shown = [names.get(i, f"#{i}") if is_id(i) else i for i in _listed(v)]
                it[k] = shown if isinstance(v, list) else (shown[0] if shown else None)

    def _titles(self, uow: UnitOfWork, ts: TableSchema, ids: set[int]) -> dict[int, Any]:
        """``{id: title}`` of the live records ``ids`` of ``ts`` the principal may read (the
        others are left out): the display field's value as they read it (masked stays
        masked), or ``#id`` when it is hidden from them, empty or the table has none. One
        query per 900 ids."""
        from cairn.query import build_select

        g = guard(uow)
        if not ids or not g.access(ts).can("read"):
            return {}
        d = ts.display_field
        shown = [d] if d is not None and d.type != "relation" and g.visible(ts, [d]) else []
        wanted = sorted(ids)
        out: dict[int, Any] = {}
        for i in range(0, len(wanted), 900):
            chunk = wanted[i : i + 900]
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
            for r in self._dump_rows(uow, ts, rows, shown, ()):
                title = r.get(d.key) if shown and d is not None else None
                out[r["id"]] = f"#{r['id']}" if title in (None, "", []) else title
        return out

    # -- writes ----------------------------------------------------------------------------
    def create(
        self,
        app: str,
        table: str,
        data: Any,
        actor_id: int | None = None,
        principal: Principal = SYSTEM,
    ) -> dict[str, Any]:
        if isinstance(data, dict):
            data = {k: v for k, v in data.items() if k != "id"}
        return self.bulk(app, table, [data], actor_id=actor_id, single=True, principal=principal)[
            "items"
        ][0]

    def bulk(
        self,
        app: str,
        table: str,
        items: Any,
        actor_id: int | None = None,
        *,
        single: bool = False,
        return_items: bool = True,
        principal: Principal = SYSTEM,
        event_meta: dict[str, Any] | None = None,
        before_commit: Any = None,
    ) -> dict[str, Any]:
        """Create (no ``id``) and update (``id`` and ``version``) up to 1,000 records, all or nothing.

        ``event_meta`` goes into the payload of the events the write causes; ``before_commit``
        (called with the unit of work) runs in the same transaction (the rule engine's hooks).
        """
        limit = self.s.settings.bulk_limit
        if not isinstance(items, list):
            raise Invalid.on("records", "value.choices")
        if not items:
            raise Invalid.on("records", "bulk.empty")
        if len(items) > limit:
            raise Invalid.on("records", "bulk.too_many", max=limit)
        with unit_of_work(self.s, actor_id=actor_id, principal=principal) as uow:
            if event_meta:
                uow.event_meta.update(event_meta)
            if before_commit is not None:
                uow.before_commit.append(before_commit)
            return self.bulk_in(uow, app, table, items, single=single, return_items=return_items)

    def bulk_in(
        self,
        uow: UnitOfWork,
        app: str,
        table: str,
        items: list[Any],
        *,
        single: bool = False,
        return_items: bool = True,
    ) -> dict[str, Any]:
        """``bulk`` inside the caller's unit of work (its principal writes; its transaction
        holds the write): the process engine's service tasks write in the step's transaction."""
        s = uow.catalog.table(app, table)
        g = guard(uow)
        for action, wanted in (
            ("create", any(isinstance(r, dict) and "id" not in r for r in items)),
            ("update", any(isinstance(r, dict) and "id" in r for r in items)),
        ):
            if wanted:
                g.require(s, action)
        g.check_writable(s, {k for r in items if isinstance(r, dict) for k in r})
        errors = FieldErrors()
        creates: list[Prepared] = []
        updates: list[Prepared] = []
        plan, inputs = self._create_plan(s), self._input_plan(s)
        raw_updates: list[dict[str, Any]] = []
        for i, raw in enumerate(items):
            prefix = "" if single else f"records.{i}."
            if not isinstance(raw, dict):
                errors.add(prefix.rstrip(".") or "body", Message("filter.shape"))
                continue
            if "id" in raw:
                p = self._prepare_update(s, raw, i, errors, prefix, inputs)
                if p is not None:
                    updates.append(p)
                    raw_updates.append(raw)
            else:
                creates.append(self._prepare_create(s, raw, i, errors, prefix, plan, inputs))
        errors.raise_if_any()
        before = records.lock_rows(uow.conn, s, [p.record_id for p in updates]) if updates else {}
        if updates and g.access(s).scoped("update"):
            # A record outside the update scope is "not found": the whole call is refused.
            mine = g.in_scope(s, list(before), "update")
            before = {rid: row for rid, row in before.items() if rid in mine}
        self._check_updates_exist(updates, before, errors, single)
        errors.raise_if_any()
        old_links = self._old_links(uow, s, updates)
        self._check_references(uow, s, creates + updates, errors, single, before)
        self._check_unique(uow, s, creates + updates, errors, single)
        errors.raise_if_any()
        repoints = self._check_repoints(uow, s, creates, updates, old_links, errors, single)
        errors.raise_if_any()
        watch = ComputedWatch(self.s, uow, s)
        if watch.active:
            watch.before(list(before), [p.links for p in creates + updates])
        created_ids = self._insert(uow, s, creates) if creates else []
        self._apply_updates(uow, s, updates, before, old_links)
        for rp in repoints:
            self._apply_repoints(uow, rp, single)
        if watch.active:
            watch.after(list(before), [p.record_id for p in creates + updates])  # type: ignore[misc]
        if s.table.validation_rules:
            self._check_rules(uow, s, creates + updates, single)
        result: dict[str, Any]
        if return_items:
            ids = [p.record_id for p in sorted(creates + updates, key=lambda p: p.index)]
            readable = {r["id"]: r for r in self._read(uow, s, ids)}
            # A write-only member gets the id and version of what it wrote, nothing more.
            result = {"items": [readable.get(i) or {"id": i} for i in ids]}
        else:
            result = {"ids": created_ids + [p.record_id for p in updates]}
        if created_ids and self.s.growth.add(s.id, len(created_ids)):
            uow.after_commit(lambda: analyze(self.s.engine, s.id))
        return result

    def update(
        self,
        app: str,
        table: str,
        record_id: int,
        data: Any,
        actor_id: int | None = None,
        principal: Principal = SYSTEM,
    ) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise Invalid.on("body", "filter.shape")
        if "version" not in data:
            raise Invalid.on("version", "record.version_required")
        written = self.bulk(
            app,
            table,
            [{**data, "id": record_id}],
            actor_id=actor_id,
            single=True,
            principal=principal,
        )
        return written["items"][0]

    def delete(
        self,
        app: str,
        table: str,
        record_id: int,
        version: int | None = None,
        actor_id: int | None = None,
        principal: Principal = SYSTEM,
    ) -> None:
        with unit_of_work(self.s, actor_id=actor_id, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            self._require_row(uow, s, record_id, "delete")
            row = records.lock_rows(uow.conn, s, [record_id]).get(record_id)
            if row is None or row.deleted_at is not None:
                raise NotFound("record.not_found", id=record_id)
            watch = ComputedWatch(self.s, uow, s)
            if watch.through:  # a deleted record no longer counts in rollups
                watch.before([], [])
                for th in watch.through:
                    th.before = watch._values(th.schema, th.fields, watch._linked(th, [record_id]))
            v = records.update_row(
                uow.conn,
                s,
                record_id,
                version if version is not None else row.version,
                {},
                uow.now,
                uow.actor_id,
                deleted_at=uow.now,
            )
            self._log(uow, s, record_id, v, "delete", {}, ev.RECORD_DELETED, {})
            if watch.through:
                watch.after([], [record_id])

    def restore(
        self,
        app: str,
        table: str,
        record_id: int,
        actor_id: int | None = None,
        principal: Principal = SYSTEM,
    ) -> dict[str, Any]:
        with unit_of_work(self.s, actor_id=actor_id, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            self._require_row(uow, s, record_id, "delete")
            row = records.lock_rows(uow.conn, s, [record_id]).get(record_id)
            if row is None or row.deleted_at is None:
                raise NotFound("record.not_found", id=record_id)
            for f in s.fields:
                if f.unique and s.type_of(f).stored:
                    column = f.index_column_name if f.id in s.sealers else f.column_name
                    value = row._mapping[column]
                    if value is not None and records.existing_values(
                        uow.conn, s, f, [value], [record_id]
                    ):
                        raise Invalid.on(f.key, "record.unique_conflict", field=f.name)
            v = records.update_row(
                uow.conn, s, record_id, row.version, {}, uow.now, uow.actor_id, deleted_at=None
            )
            self._log(uow, s, record_id, v, "restore", {}, ev.RECORD_RESTORED, {})
            restored = self._read(uow, s, [record_id])
            return restored[0] if restored else {"id": record_id, "version": v}

    def _require_row(self, uow: UnitOfWork, s: TableSchema, record_id: int, action: str) -> None:
        """403 without the table permission; 404 for a record outside the row scope."""
        g = guard(uow)
        g.require(s, action)
        if g.access(s).scoped(action) and not g.in_scope(s, [record_id], action):
            raise NotFound("record.not_found", id=record_id)

    # -- preparation -----------------------------------------------------------------------
    @staticmethod
    def _input_plan(s: TableSchema) -> dict[str, tuple[int, Any, bool, bool]]:
        """Per field key, once per call: (field id, coercer, stored, writable)."""
        return {
            f.key: (f.id, s.coercers[f.id], s.types[f.id].stored, s.types[f.id].writable)
            for f in s.fields
        }

    def _coerce_into(
        self,
        s: TableSchema,
        raw: dict[str, Any],
        p: Prepared,
        errors: FieldErrors,
        prefix: str,
        inputs: dict[str, tuple[int, Any, bool, bool]],
    ) -> None:
        columns, links = p.columns, p.links
        for key, value in raw.items():
            entry = inputs.get(key)
            if entry is None:
                if key not in SYSTEM_INPUT_KEYS:
                    errors.add(prefix + key, Message("field.unknown", {"key": key}))
                continue
            fid, coerce, stored, writable = entry
            if not writable:
                errors.add(prefix + key, Message("field.read_only"))
                continue
            try:
                v = coerce(value)
            except BadValue as e:
                errors.add(prefix + key, e.message)
                continue
            if stored:
                columns[fid] = v
            else:
                links[fid] = v

    def _create_plan(self, s: TableSchema) -> list[tuple[Field, bool, Any, bool]]:
        """Per writable field, once per call: (field, stored, filler for an absent value,
        whether there is a filler). Defaults are coerced here, not once per record."""
        plan = []
        for f in s.fields:
            ft = s.types[f.id]
            if not ft.writable:
                continue
            if f.default is not None:
                try:
                    filler, has = s.coercers[f.id](f.default), True
                except BadValue:
                    filler, has = None, True
            elif ft.key == "boolean":
                filler, has = False, True
            else:
                filler, has = None, False
            plan.append((f, ft.stored, filler, has))
        return plan

    def _prepare_create(
        self,
        s: TableSchema,
        raw: dict[str, Any],
        index: int,
        errors: FieldErrors,
        prefix: str,
        plan: list[tuple[Field, bool, Any, bool]],
        inputs: dict[str, tuple[int, Any, bool, bool]],
    ) -> Prepared:
        p = Prepared(index)
        self._coerce_into(s, raw, p, errors, prefix, inputs)
        columns, links = p.columns, p.links
        for f, stored, filler, has_filler in plan:
            target = columns if stored else links
            if f.id in target:
                value = target[f.id]
            elif has_filler:
                value = target[f.id] = copy(filler) if isinstance(filler, list | dict) else filler
            else:
                value = None
            if f.required and is_blank(value) and not errors.errors.get(prefix + f.key):
                errors.add(prefix + f.key, Message("field.required"))
        return p

    def _prepare_update(
        self,
        s: TableSchema,
        raw: dict[str, Any],
        index: int,
        errors: FieldErrors,
        prefix: str,
        inputs: dict[str, tuple[int, Any, bool, bool]],
    ) -> Prepared | None:
        rid, version = raw.get("id"), raw.get("version")
        if not isinstance(rid, int) or isinstance(rid, bool) or rid <= 0:
            errors.add(prefix + "id", Message("value.integer"))
            return None
        if not isinstance(version, int) or isinstance(version, bool):
            errors.add(prefix + "version", Message("record.version_required"))
            return None
        p = Prepared(index, rid, version)
        self._coerce_into(s, raw, p, errors, prefix, inputs)
        for f in s.fields:
            if f.required and (f.id in p.columns or f.id in p.links):
                v = p.columns.get(f.id) if f.id in p.columns else p.links.get(f.id)
                if is_blank(v):
                    errors.add(prefix + f.key, Message("field.required"))
        return p

    def _check_updates_exist(
        self, updates: list[Prepared], before: dict[int, Any], errors: FieldErrors, single: bool
    ) -> None:
        for p in updates:
            prefix = "" if single else f"records.{p.index}."
            row = before.get(p.record_id)  # type: ignore[arg-type]
            if row is None or row.deleted_at is not None:
                if single:
                    raise NotFound("record.not_found", id=p.record_id)
                errors.add(prefix + "id", Message("record.not_found", {"id": p.record_id}))
            elif row.version != p.version:
                raise Conflict("record.stale", expected=p.version, actual=row.version)

    def _check_references(
        self,
        uow: UnitOfWork,
        s: TableSchema,
        items: list[Prepared],
        errors: FieldErrors,
        single: bool,
        current: dict[int, Any] | None = None,
    ) -> None:
        """Every record, user and file a write names must exist and be one the principal may
        use: a linked record one they may read (row scope included), a file one they may read
        or their own upload no record holds yet (a file the record holds already stays). What
        they may not use gets exactly the answer of what does not exist. One query per field
        for the whole batch. ``current``: the updated records' rows as they are."""
        from cairn.services.files import attachable, outside_limits

        cat = uow.catalog
        g = guard(uow)
        for f in s.fields:
            ref = s.types[f.id].references
            if ref is None:
                continue
            values: list[tuple[Prepared, list[Any]]] = []
            kept: dict[int, set[str]] = {}
            for p in items:
                v = p.links.get(f.id) if ref == "record" else p.columns.get(f.id)
                if v is None:
                    continue
                if ref == "file":
                    v = json.loads(v)
                    row = current.get(p.record_id) if current and p.record_id else None
                    holds = row._mapping[f.column_name] if row is not None else None
                    if holds:
                        kept[p.index] = set(json.loads(holds))
                values.append((p, v if isinstance(v, list) else [v]))
            wanted = {x for p, vals in values for x in vals if x not in kept.get(p.index, ())}
            if not wanted:
                continue
            if ref == "record":
                target = cat.schema(f.options["target_table_id"])
                if g.access(target).can("read"):
                    where = g.row_where(target, "read")
                    found = records.live_ids(uow.conn, target, wanted, where)
                else:
                    found = set()
                missing_key, params = "value.relation_missing", {"table": target.table.name}
            elif ref == "user":
                found = store_users.active_ids(uow.conn, wanted)
                missing_key, params = "value.user", {}
            else:
                found = attachable(uow, wanted)
                missing_key, params = "value.attachment_missing", {}
            missing = wanted - found
            refused = outside_limits(uow, found, f) if ref == "file" else {}
            for p, vals in values:
                held = kept.get(p.index, ())
                bad = [x for x in vals if x in missing and x not in held]
                prefix = "" if single else f"records.{p.index}."
                if bad:
                    key = "value" if ref == "user" else "ids"
                    errors.add(prefix + f.key, Message(missing_key, {**params, key: bad}))
                for x in vals:
                    if x in refused and x not in held:
                        errors.add(prefix + f.key, refused[x])
            if ref == "record":
                self._check_single_reverse(uow, s, f, items, errors, single, missing)

    def _check_single_reverse(
        self,
        uow: UnitOfWork,
        s: TableSchema,
        f: Field,
        items: list[Prepared],
        errors: FieldErrors,
        single: bool,
        missing: set[Any],
    ) -> None:
        """When the other side holds one record only, a target may be linked from one record.
        (Targets answered as missing are not looked at: that would tell they exist.)"""
        cat = uow.catalog
        other_id = f.options.get("reverse_of") or f.options.get("reverse_field_id")
        other = cat.all_fields.get(other_id) if other_id else None
        if other is None or other.options.get("multiple", True):
            return
        seen: dict[int, int] = {}
        targets = []
        for p in items:
            for t in p.links.get(f.id, []):
                if t in missing:
                    continue
                prefix = "" if single else f"records.{p.index}."
                if t in seen and seen[t] != p.index:
                    errors.add(prefix + f.key, Message("value.relation_taken", {"ids": [t]}))
                seen[t] = p.index
                targets.append(t)
        if targets:
            mine = [p.record_id for p in items if p.record_id and f.id in p.links]
            taken = records.linked_elsewhere(uow.conn, cat, f, targets, mine)
            for p in items:
                bad = [t for t in p.links.get(f.id, []) if t in taken]
                if bad:
                    prefix = "" if single else f"records.{p.index}."
                    errors.add(prefix + f.key, Message("value.relation_taken", {"ids": bad}))

    # -- links that live on the other record -----------------------------------------------
    @staticmethod
    def _old_links(
        uow: UnitOfWork, s: TableSchema, updates: list[Prepared]
    ) -> dict[int, dict[int, list[int]]]:
        """The current links of the updated records, per relation field the write sets (one
        query per field)."""
        out: dict[int, dict[int, list[int]]] = {}
        for f in s.fields:
            if f.type == "relation" and any(f.id in p.links for p in updates):
                ids = [p.record_id for p in updates if f.id in p.links]
                out[f.id] = records.read_links(uow.conn, uow.catalog, f, ids)  # type: ignore[arg-type]
        return out

    def _check_repoints(
        self,
        uow: UnitOfWork,
        s: TableSchema,
        creates: list[Prepared],
        updates: list[Prepared],
        old_links: dict[int, dict[int, list[int]]],
        errors: FieldErrors,
        single: bool,
    ) -> list[_Repoints]:
        """A relation whose links live on the other records (``_links_elsewhere``: a
        customer's orders, each order holding its customer) is written on those records:
        every record that gains or loses a link is updated, as if the principal had changed
        its relation field. So they need the update permission on that table, the record in
        its update row scope (else ``value.relation_locked``) and the field writable; the
        records are locked and their links read now, to be logged once written
        (``_apply_repoints``). Set-based: a few queries per relation field per batch."""
        cat = uow.catalog
        g = guard(uow)
        plans: dict[int, _Repoints] = {}
        for f in s.fields:
            other = _links_elsewhere(cat, f)
            ts = cat.schemas.get(int(f.options.get("target_table_id") or 0))
            if other is None or ts is None:
                continue
            old = old_links.get(f.id, {})
            touched: dict[int, list[int]] = {}  # item index → the records it re-points
            causes: dict[int, tuple[int, str]] = {}
            for p in creates + updates:
                if f.id not in p.links:
                    continue
                now = set(p.links[f.id])
                was = set(old.get(p.record_id, ())) if p.record_id else set()  # type: ignore[arg-type]
                moved = sorted(now ^ was)
                if moved:
                    touched[p.index] = moved
                    for t in moved:
                        causes.setdefault(t, (p.index, f.key))
            if not touched:
                continue
            if not g.unrestricted:
                a = g.require(ts, "update")
                if a.fields and not a.writable(other.id):
                    raise Forbidden("auth.field_denied", field=f.key)
                if a.scoped("update"):
                    mine = g.in_scope(ts, list(causes), "update")
                    for index, moved in touched.items():
                        bad = [t for t in moved if t not in mine]
                        if bad:
                            prefix = "" if single else f"records.{index}."
                            params = {"ids": bad, "table": ts.table.name}
                            errors.add(prefix + f.key, Message("value.relation_locked", params))
            rp = plans.get(ts.id)
            if rp is None:
                rp = plans[ts.id] = _Repoints(ts)
            rp.fields.append(other)
            for t, cause in causes.items():
                rp.causes.setdefault(t, cause)
        if errors:
            return []
        for rp in plans.values():
            ids = sorted(rp.causes)
            records.lock_rows(uow.conn, rp.schema, ids)
            for other in rp.fields:
                rp.before[other.id] = records.read_links(uow.conn, cat, other, ids)
        return list(plans.values())

    def _apply_repoints(self, uow: UnitOfWork, rp: _Repoints, single: bool) -> None:
        """Once the links are written: each re-pointed record whose links changed gets a new
        version, a history entry, an audit entry and a ``record.updated`` event, and is
        checked as an update would be (a required relation left empty, the table's
        validation rules)."""
        ts, cat = rp.schema, uow.catalog
        ids = sorted(rp.causes)
        changes: dict[int, dict[str, Any]] = {}
        key_changes: dict[int, dict[str, Any]] = {}
        errors = FieldErrors()
        for other in rp.fields:
            after = records.read_links(uow.conn, cat, other, ids)
            before = rp.before[other.id]
            for rid in ids:
                was, now = before.get(rid, []), after.get(rid, [])
                if was == now:
                    continue
                changes.setdefault(rid, {})[str(other.id)] = [was, now]
                key_changes.setdefault(rid, {})[other.key] = [was, now]
                if other.required and not now:
                    index, key = rp.causes[rid]
                    prefix = "" if single else f"records.{index}."
                    params = {"ids": [rid], "table": ts.table.name, "field": other.name}
                    errors.add(prefix + key, Message("value.relation_required", params))
        errors.raise_if_any()
        if not changes:
            return
        changed = sorted(changes)
        versions = records.bump_versions(uow.conn, ts, changed, uow.now, uow.actor_id)
        history.append(
            uow.conn,
            [
                history.entry(
                    ts.id, rid, versions[rid], "update", changes[rid], uow.actor_id, uow.now
                )
                for rid in changed
            ],
        )
        for rid in changed:
            payload = {"version": versions[rid], "changes": key_changes[rid]}
            uow.audit(Entry("record.update", "record", rid, ts.app.id, ts.id, payload))
            uow.emit(Event(ev.RECORD_UPDATED, ts.app.id, ts.id, rid, dict(payload), uow.actor_id))
        if ts.table.validation_rules:
            # Each record's broken rule shows at the relation field that was written.
            written = [Prepared(rp.causes[rid][0], rid, versions[rid]) for rid in changed]
            at = {rid: rp.causes[rid][1] for rid in changed}
            self._check_rules(uow, ts, written, single, at=at)

    def _check_unique(
        self,
        uow: UnitOfWork,
        s: TableSchema,
        items: list[Prepared],
        errors: FieldErrors,
        single: bool,
    ) -> None:
        for f in s.fields:
            if not f.unique or not s.types[f.id].stored:
                continue
            # A sensitive field is compared by its blind index, in Python and in SQL.
            sealer = s.sealers.get(f.id)
            probe = sealer.index if sealer is not None else _identity
            seen: dict[Any, int] = {}
            values = []
            for p in items:
                v = p.columns.get(f.id)
                if v is None:
                    continue
                prefix = "" if single else f"records.{p.index}."
                k = probe(v)
                if k in seen:
                    errors.add(prefix + f.key, Message("field.unique", {"value": _show(s, f, v)}))
                seen[k] = p.index
                values.append(k)
            if not values:
                continue
            updating = [p.record_id for p in items if p.record_id]
            existing = records.existing_values(uow.conn, s, f, values, updating)
            for p in items:
                v = p.columns.get(f.id)
                if v is not None and (k := probe(v)) in existing and existing[k] != p.record_id:
                    prefix = "" if single else f"records.{p.index}."
                    errors.add(prefix + f.key, Message("field.unique", {"value": _show(s, f, v)}))

    def _check_rules(
        self,
        uow: UnitOfWork,
        s: TableSchema,
        written: list[Prepared],
        single: bool,
        at: dict[int, str] | None = None,
    ) -> None:
        """The table's validation rules over the records as written (in SQL, in the same
        transaction, so formulas see relations, lookups and other formulas exactly as reads
        do); a record for which a rule is not TRUE fails the whole call with the rule's
        message, and the transaction rolls back. ``at``: where each record's message shows
        when not at the rule's field (records changed through a relation of another table)."""
        import sqlalchemy as sa

        from cairn.query.compile import FilterCompiler
        from cairn.query.tree import FormulaNode

        rules = s.table.validation_rules or []
        by_id = {p.record_id: p for p in written}
        if not by_id:
            return
        compiler = FilterCompiler(uow.catalog, s, self.s.clock)
        t = s.sa_table
        broken = [
            sa.not_(compiler.compile(FormulaNode(r["formula"], f"validation_rules.{i}"))).label(
                f"r{i}"
            )
            for i, r in enumerate(rules)
        ]
        errors = FieldErrors()
        query = sa.select(t.c.id, *broken).where(t.c.id.in_(list(by_id))).order_by(t.c.id)
        for row in uow.conn.execute(query):
            p = by_id[row[0]]
            prefix = "" if single else f"records.{p.index}."
            for i, rule in enumerate(rules):
                if row[i + 1]:
                    where = at[row[0]] if at else _rule_location(s, rule)
                    errors.add(
                        prefix + where,
                        Message("record.rule_failed", {"message": rule.get("message", "")}),
                    )
        errors.raise_if_any()

    # -- writing ---------------------------------------------------------------------------
    def _insert(self, uow: UnitOfWork, s: TableSchema, creates: list[Prepared]) -> list[int]:
        for f in s.fields:
            if s.types[f.id].key == "auto_number":
                first = records.reserve_sequence(
                    uow.conn, f.id, len(creates), f.options.get("start", 1)
                )
                for i, p in enumerate(creates):
                    p.columns[f.id] = format_number(f.options, first + i)
        if s.sealers:
            rows = [s.row_values(p.columns) for p in creates]
            names = sorted({c for r in rows for c in r})
            columns = {c: [r.get(c) for r in rows] for c in names}
        else:  # by column straight from the coerced values: no dictionary per row
            values = [p.columns for p in creates]
            fids = set(values[0]).union(*values[1:]) if values else set()
            columns = {
                f.column_name: [v.get(f.id) for v in values] for f in s.fields if f.id in fids
            }
        ids = records.insert_rows(uow.conn, s, len(creates), columns, uow.now, uow.actor_id)
        for p, rid in zip(creates, ids, strict=True):
            p.record_id = rid
        for f in s.fields:
            if f.type == "relation":
                links = {p.record_id: p.links[f.id] for p in creates if p.links.get(f.id)}
                records.replace_links(uow.conn, uow.catalog, f, links)  # type: ignore[arg-type]
        # A create writes no history row: the record's created_at and created_by say who and
        # when, its values are the first state, and every later change logs before and after,
        # so any earlier state can be rebuilt (``history`` shows the creation from the record).
        payload = {"version": 1}
        uow.events.extend(
            Event(ev.RECORD_CREATED, s.app.id, s.id, rid, payload, uow.actor_id) for rid in ids
        )
        if len(creates) == 1:
            uow.audit(self._audit_create(s, creates[0]))
        else:
            # One entry for a bulk create: who created which records (as id ranges). Their
            # values are the records' first state, and every later change is audited with
            # before and after, so a per-record entry would add cost, not information.
            uow.audit(
                Entry(
                    "record.create_many",
                    "record",
                    None,
                    s.app.id,
                    s.id,
                    {"count": len(ids), "ids": id_ranges(ids)},
                )
            )
        return ids

    def _apply_updates(
        self,
        uow: UnitOfWork,
        s: TableSchema,
        updates: list[Prepared],
        before: dict[int, Any],
        old_links: dict[int, dict[int, list[int]]],
    ) -> None:
        if not updates:
            return
        cat = uow.catalog
        for p in updates:
            row = before[p.record_id]  # type: ignore[index]
            m = row._mapping
            changes: dict[str, Any] = {}
            key_changes: dict[str, Any] = {}
            values: dict[str, Any] = {}
            for fid, v in p.columns.items():
                f = s.by_id[fid]
                old = m[f.column_name]
                sealer = s.sealers.get(fid)
                if sealer is not None:
                    old = sealer.open(old)
                if _same(old, v):
                    continue
                if sealer is not None:
                    values.update(s.row_values({fid: v}))
                    # History, the audit log and the event say that it changed, not to what.
                    pair = [sealed(old), sealed(v)]
                else:
                    values[f.column_name] = v
                    d = s.dumpers[fid]
                    pair = [d(old) if d else _json_value(old), d(v) if d else _json_value(v)]
                changes[str(fid)] = pair
                key_changes[f.key] = pair
            for fid, v in p.links.items():
                old = old_links.get(fid, {}).get(p.record_id, [])  # type: ignore[arg-type]
                if sorted(old) == sorted(v):
                    continue
                records.replace_links(uow.conn, cat, s.by_id[fid], {p.record_id: v})  # type: ignore[dict-item]
                changes[str(fid)] = [old, v]
                key_changes[s.by_id[fid].key] = [old, v]
            if not changes:
                continue
            version = records.update_row(
                uow.conn, s, p.record_id, p.version, values, uow.now, uow.actor_id
            )  # type: ignore[arg-type]
            self._log(
                uow, s, p.record_id, version, "update", changes, ev.RECORD_UPDATED, key_changes
            )  # type: ignore[arg-type]

    @staticmethod
    def _audit_create(s: TableSchema, p: Prepared) -> Entry:
        values: dict[str, Any] = {}
        for fid, v in p.columns.items():
            if fid in s.sealers:
                values[s.by_id[fid].key] = [None, sealed(v)]
                continue
            d = s.dumpers.get(fid)
            values[s.by_id[fid].key] = [None, d(v) if d and v is not None else _json_value(v)]
        for fid, v in p.links.items():
            values[s.by_id[fid].key] = [None, v]
        return Entry(
            "record.create",
            "record",
            p.record_id,
            s.app.id,
            s.id,
            {"version": 1, "changes": values},
        )

    def _log(
        self,
        uow: UnitOfWork,
        s: TableSchema,
        record_id: int,
        version: int,
        action: str,
        changes: dict[str, Any],
        event_type: str,
        key_changes: dict[str, Any],
    ) -> None:
        uow.audit(
            Entry(
                f"record.{action}",
                "record",
                record_id,
                s.app.id,
                s.id,
                {"version": version, "changes": key_changes},
            )
        )
        history.append(
            uow.conn,
            [history.entry(s.id, record_id, version, action, changes, uow.actor_id, uow.now)],
        )
        uow.emit(
            Event(
                event_type,
                s.app.id,
                s.id,
                record_id,
                {"version": version, "changes": key_changes},
                uow.actor_id,
            )
        )


def _links_elsewhere(cat: Catalog, f: Field) -> Field | None:
    """When the links of relation ``f`` live on the records it links to, their field holding
    them (the paired field on the other table); else None. A link lives on the side holding
    one record (an order holds its customer: a customer's ``orders`` live on the orders); when
    both sides hold one or both hold many, on the side that defined the relation (the owner of
    the junction), so writing the reverse side changes the other records."""
    if f.type != "relation":
        return None
    other_id = f.options.get("reverse_of") or f.options.get("reverse_field_id")
    other = cat.all_fields.get(int(other_id)) if other_id else None
    if other is None or other.deleted_at is not None:  # no field of theirs shows the links
        return None
    mine_many = bool(f.options.get("multiple", True))
    other_many = bool(other.options.get("multiple", True))
    if mine_many != other_many:
        return other if mine_many else None
    return other if f.options.get("reverse_of") else None


def _redact(s: TableSchema, tree: Any) -> Any:
    """A filter as the audit log keeps it: values compared with sensitive fields are ``****``."""
    if not s.sealers:
        return tree
    keys = {s.by_id[fid].key for fid in s.sealers}
    if isinstance(tree, list):
        return [_redact(s, x) for x in tree]
    if not isinstance(tree, dict):
        return tree
    out = {k: _redact(s, v) for k, v in tree.items()}
    if tree.get("field") in keys and "value" in tree:
        out["value"] = sealed(tree["value"])
    return out


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    try:
        return (a == b and type(a) is type(b)) or (a == b and not isinstance(a, bool))
    except TypeError:
        return False


def _show(s: TableSchema, f: Field, v: Any) -> Any:
    d = s.dumpers.get(f.id)
    return d(v) if d else v


def _dt(value: Any, tz: Any) -> str | None:
    return None if value is None else dump_datetime(value, tz)


def _xlsx_cell(v: Any) -> Any:
    """A value as one spreadsheet cell (lists joined, relations by name); strings are written
    as text cells, so no formula runs."""
    if isinstance(v, list):
        return ";".join(str(_xlsx_cell(x)) for x in v)
    if isinstance(v, dict):
        return v.get("name") or v.get("id") or json.dumps(v, ensure_ascii=False)
    return v


def _csv_cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, list):
        return ";".join(str(_csv_cell(x)) for x in v)
    if isinstance(v, dict):
        return v.get("name") or v.get("id") or json.dumps(v, ensure_ascii=False)
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@"):
        # A spreadsheet would run it as a formula (CSV injection): quote it as text.
        return "'" + v
    return v


def _holds_users(cat: Catalog, f: Field) -> bool:
    """Does ``f`` hold user ids: a user field, or a lookup of one?"""
    if f.type == "lookup":
        target = cat.all_fields.get(f.options.get("target_field_id") or 0)
        return target is not None and target.type == "user"
    return f.type == "user"


def _listed(v: Any) -> list[Any]:
    return [] if v is None else v if isinstance(v, list) else [v]


def _ids_in(v: Any) -> list[int]:
    """The record or user ids a relation or user value holds (a masked one holds none)."""
    return [i for i in _listed(v) if is_id(i)]


def _identity(v: Any) -> Any:
    return v


def _with_files(dump: Any, files: dict[str, Any]) -> Any:
    """An attachment value: each file id with its name, size, type and address."""

    def show(v: Any) -> Any:
        ids = dump(v)
        return [files.get(i, {"id": i}) for i in ids] if ids else ids

    return show


def _json_value(v: Any) -> Any:
    if isinstance(v, Decimal):
        f = float(v)
        return int(f) if f.is_integer() else f
    if isinstance(v, datetime | date):
        return v.isoformat()
    return v


__all__ = ["RecordService"]


def id_ranges(ids: Sequence[int]) -> list[list[int]]:
    """``[1, 2, 3, 7, 9, 10]`` → ``[[1, 3], [7, 7], [9, 10]]``: a bulk insert's ids, compactly."""
    ranges: list[list[int]] = []
    for i in sorted(ids):
        if ranges and i == ranges[-1][1] + 1:
            ranges[-1][1] = i
        else:
            ranges.append([i, i])
    return ranges


def _rule_location(s: TableSchema, rule: dict[str, Any]) -> str:
    """Where a broken rule's message shows: its field, else the first field it uses."""
    for fid in [rule.get("field"), *rule.get("uses", [])]:
        f = s.by_id.get(fid) if isinstance(fid, int) else None
        if f is not None:
            return f.key
    return "record"
