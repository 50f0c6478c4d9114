"""Tables and fields: create, change, convert, delete into the recycle bin and restore.

Every change is metadata plus runtime DDL in one transaction, and bumps the schema version so
every process reloads its catalogue.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from cairn.auth import SYSTEM, Entry, Principal, manages_app, manages_table
from cairn.core import FieldErrors, Forbidden, Invalid, Message, NotFound, Unsupported
from cairn.meta import BadValue, Field, FieldType
from cairn.meta.fieldtypes.relations import junction_sides
from cairn.services.apps import check_key, check_name, check_position, display_updates
from cairn.services.capabilities import shown, table_permissions
from cairn.services.guard import guard
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import Catalog, TableSchema, ddl, system, workdays

if TYPE_CHECKING:
    from cairn.services.context import Services

FIELD_ATTRS = {
    "key",
    "name",
    "type",
    "options",
    "required",
    "unique",
    "default",
    "help_text",
    "position",
}


# -- public shapes -------------------------------------------------------------------------


def field_public(catalog: Catalog, f: Field) -> dict[str, Any]:
    return {
        "id": f.id,
        "key": f.key,
        "name": f.name,
        "type": f.type,
        "options": options_public(catalog, f),
        "required": f.required,
        "unique": f.unique,
        "default": f.default,
        "help_text": f.help_text,
        "position": f.position,
    }


def options_public(catalog: Catalog, f: Field) -> dict[str, Any]:
    """Options with ids of tables and fields shown as keys (what users and packages write)."""
    o = dict(f.options)
    if f.type == "relation":
        target = catalog.all_tables.get(o.pop("target_table_id"))
        o["target_table"] = target.key if target else None
        rev_id = o.pop("reverse_field_id", None) or o.get("reverse_of")
        o.pop("reverse_of", None)
        rev = catalog.all_fields.get(rev_id) if rev_id else None
        o["reverse_field"] = rev.key if rev else None
        o["owner"] = not f.options.get("reverse_of")
    elif f.type == "formula":
        from cairn.query.formula import shown_text

        schema = catalog.schemas.get(f.table_id)
        if schema is not None:
            o["formula"] = shown_text(catalog, schema, o.get("formula", ""))
        o.pop("uses", None)
    elif f.type in ("lookup", "rollup"):
        rel = catalog.all_fields.get(o.pop("relation_field_id"))
        o["relation"] = rel.key if rel else None
        tid = o.pop("target_field_id", None)
        tf = catalog.all_fields.get(tid) if tid else None
        o["field"] = tf.key if tf else None
    return o


def table_public(
    catalog: Catalog,
    s: TableSchema,
    with_fields: bool = True,
    hidden: Collection[int] = frozenset(),
) -> dict[str, Any]:
    """A table's definition; ``hidden``: ids of fields left out of it (its fields, display
    field, layout and validation rules), as ``unlisted`` gives them for a member."""
    display = s.display_field
    out: dict[str, Any] = {
        "id": s.table.id,
        "key": s.table.key,
        "name": s.table.name,
        "description": s.table.description,
        "display_field": display.key if display and display.id not in hidden else None,
        "position": s.table.position,
    }
    out["validation_rules"] = rules_public(catalog, s, hidden)
    out["layout"] = layout_effective(s, hidden)
    if with_fields:
        out["fields"] = [field_public(catalog, f) for f in s.fields if f.id not in hidden]
    return out


def unlisted(uow: UnitOfWork, s: TableSchema, permissions: dict[str, bool]) -> set[int]:
    """The fields of ``s`` whose definitions are not listed to the unit of work's principal:
    those hidden from them (by a role's field rule, or a lookup, rollup or formula showing a
    hidden value: the guard's ``view``). Who designs the table (``manage``) lists them all."""
    if permissions["manage"]:
        return set()
    return set(guard(uow).view(s)[0])


def shown_tables(uow: UnitOfWork, app_id: int) -> list[dict[str, Any]]:
    """The tables of an app listed to the unit of work's principal (those they may read, add
    to or design; the others are not theirs to know of), each with its ``permissions`` and
    without the fields hidden from them."""
    out = []
    for s in uow.catalog.tables_of(app_id):
        permissions = table_permissions(uow, s)
        if shown(permissions):
            hidden = unlisted(uow, s, permissions)
            out.append({**table_public(uow.catalog, s, hidden=hidden), "permissions": permissions})
    return out


def _shown_or_403(uow: UnitOfWork, s: TableSchema) -> dict[str, bool]:
    """The principal's permissions on ``s``; 403 when the table is not listed to them."""
    permissions = table_permissions(uow, s)
    if not shown(permissions):
        raise Forbidden("auth.table_denied", action="read")
    return permissions


def rules_public(
    catalog: Catalog, s: TableSchema, hidden: Collection[int] = frozenset()
) -> list[dict[str, Any]]:
    """A table's validation rules as users write them (field keys, not ids), but those that
    name a field of ``hidden``."""
    from cairn.query.formula import shown_text

    out = []
    for r in s.table.validation_rules or []:
        if hidden and (r.get("field") in hidden or any(u in hidden for u in r.get("uses", ()))):
            continue
        f = s.by_id.get(r.get("field") or 0)
        item = {"formula": shown_text(catalog, s, r["formula"]), "message": r["message"]}
        if f is not None:
            item["field"] = f.key
        out.append(item)
    return out


MAX_SECTIONS = 50
MAX_ROWS = 200
MAX_COLUMNS = 3
MAX_TITLE = 200


def layout_public(s: TableSchema, hidden: Collection[int] = frozenset()) -> dict[str, Any] | None:
    """The table's own layout with field keys (None: it has none). A cell whose field is in the
    recycle bin shows empty, and a row left with no field is left out: restoring the field puts
    it back where it was. Fields of ``hidden`` are left out the same way, and so is a section
    that held only them."""
    raw = s.table.layout
    if not raw:
        return None
    sections = []
    for sec in raw.get("sections") or []:
        rows = []
        hid = False
        for row in sec.get("rows") or []:
            cells = [s.by_id[c].key if c in s.by_id and c not in hidden else None for c in row]
            if any(c is not None for c in cells):
                rows.append(cells)
            elif any(c in hidden for c in row):
                hid = True
        if hid and not rows:
            continue
        sections.append(
            {"title": sec.get("title") or "", "collapsed": bool(sec.get("collapsed")), "rows": rows}
        )
    return {"sections": sections}


def layout_effective(s: TableSchema, hidden: Collection[int] = frozenset()) -> dict[str, Any]:
    """The layout forms show: the table's own (or one section of one field per row), with every
    field it does not place after it, one per row, so a new field is never hidden; without the
    fields of ``hidden``."""
    own = layout_public(s, hidden)
    placed = {c for sec in (own or {}).get("sections", []) for row in sec["rows"] for c in row}
    rest = [[f.key] for f in s.fields if f.key not in placed and f.id not in hidden]
    if own is None:
        return {"sections": [{"title": "", "collapsed": False, "rows": rest}]}
    last = own["sections"][-1] if own["sections"] else None
    if last is not None and not last["title"] and not last["collapsed"]:
        last["rows"].extend(rest)  # an open section without a title: they simply continue it
    elif rest:
        own["sections"].append({"title": "", "collapsed": False, "rows": rest})
    return own


def check_layout(s: TableSchema, raw: Any, loc: str = "") -> dict[str, Any] | None:
    """A layout as users write it (field keys) → as stored (field ids), or an Invalid naming
    each bad place: an unknown field, a field placed twice, a row of more than 3 columns."""
    pre = f"{loc}." if loc else ""
    if raw is None:
        return None
    sections = raw.get("sections") if isinstance(raw, dict) else None
    if (
        not isinstance(raw, dict)
        or set(raw) - {"sections"}
        or not isinstance(sections, list)
        or len(sections) > MAX_SECTIONS
    ):
        raise Invalid.on(loc or "layout", "table.layout_shape")
    if not sections:
        return None
    errors = FieldErrors()
    seen: set[int] = set()
    out = []
    for i, sec in enumerate(sections):
        sloc = f"{pre}sections.{i}"
        if not isinstance(sec, dict) or set(sec) - {"title", "collapsed", "rows"}:
            errors.add(sloc, Message("table.layout_shape"))
            continue
        title = sec.get("title") if sec.get("title") is not None else ""
        if not isinstance(title, str) or len(title) > MAX_TITLE:
            errors.add(f"{sloc}.title", Message("table.layout_title"))
        collapsed = sec.get("collapsed", False)
        if not isinstance(collapsed, bool):
            errors.add(f"{sloc}.collapsed", Message("value.boolean"))
        rows = sec.get("rows") if sec.get("rows") is not None else []
        if not isinstance(rows, list) or len(rows) > MAX_ROWS:
            errors.add(f"{sloc}.rows", Message("table.layout_shape"))
            continue
        stored_rows = []
        for j, row in enumerate(rows):
            rloc = f"{sloc}.rows.{j}"
            if not isinstance(row, list):
                errors.add(rloc, Message("table.layout_shape"))
                continue
            if not 1 <= len(row) <= MAX_COLUMNS:
                errors.add(rloc, Message("table.layout_columns", {"count": len(row)}))
                continue
            cells: list[int | None] = []
            for k, cell in enumerate(row):
                if cell is None:
                    cells.append(None)
                    continue
                f = s.by_key.get(cell) if isinstance(cell, str) else None
                if f is None:
                    errors.add(f"{rloc}.{k}", Message("field.unknown", {"key": str(cell)}))
                    continue
                if f.id in seen:
                    errors.add(f"{rloc}.{k}", Message("table.layout_duplicate", {"key": f.key}))
                    continue
                seen.add(f.id)
                cells.append(f.id)
            if all(c is None for c in row):
                errors.add(rloc, Message("table.layout_empty_row"))
            stored_rows.append(cells)
        out.append(
            {
                "title": title.strip() if isinstance(title, str) else "",
                "collapsed": collapsed is True,
                "rows": stored_rows,
            }
        )
    errors.raise_if_any()
    return {"sections": out}


# -- the service ---------------------------------------------------------------------------


class SchemaService:
    def __init__(self, services: Services) -> None:
        self.s = services

    # tables ------------------------------------------------------------------------------
    def list_tables(self, app_key: str, principal: Principal = SYSTEM) -> list[dict[str, Any]]:
        """The app's tables that ``principal`` may read, add to or design, each with what
        they may do with it (``permissions``)."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            app = uow.catalog.app(app_key)
            return shown_tables(uow, app.id)

    def get_table(
        self, app_key: str, table_key: str, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app_key, table_key)
            permissions = _shown_or_403(uow, s)
            hidden = unlisted(uow, s, permissions)
            return {**table_public(uow.catalog, s, hidden=hidden), "permissions": permissions}

    def create_table(self, app_key: str, data: dict[str, Any]) -> dict[str, Any]:
        with unit_of_work(self.s) as uow:
            schema = self.create_table_in(uow, app_key, data)
            return table_public(uow.catalog, uow.catalog.schema(schema))

    def create_table_in(self, uow: UnitOfWork, app_key: str, data: dict[str, Any]) -> int:
        if not isinstance(data, dict):
            raise Invalid.on("body", "filter.shape")
        key = check_key(data.get("key"))
        name = check_name(data.get("name", key))
        fields = data.get("fields") or []
        if not isinstance(fields, list):
            raise Invalid.on("fields", "value.choices")
        app = uow.catalog.app(app_key)
        if any(s.table.key == key for s in uow.catalog.tables_of(app.id)):
            raise Invalid.on("key", "key.taken", key=key)
        table_id = uow.insert_definition(
            system.tables,
            app_id=app.id,
            key=key,
            name=name,
            description=str(data.get("description") or ""),
            position=len(uow.catalog.tables_of(app.id)),
            created_at=uow.now,
            updated_at=uow.now,
        )
        ddl.create_record_table(uow.conn, table_id)
        errors = FieldErrors()
        for i, spec in enumerate(fields):
            try:
                self.create_field_in(uow, app_key, key, spec)
            except Invalid as e:
                errors.merge(f"fields.{i}.", e)
        errors.raise_if_any()
        if data.get("display_field"):
            self._set_display_field(uow, app_key, key, data["display_field"])
        if data.get("validation_rules"):
            self.set_validation_rules_in(uow, app_key, key, data["validation_rules"])
        return table_id

    def update_table(self, app_key: str, table_key: str, data: dict[str, Any]) -> dict[str, Any]:
        with unit_of_work(self.s) as uow:
            s = uow.catalog.table(app_key, table_key)
            values = display_updates(data)
            if values:
                uow.update_definitions(system.tables, s.id, **values, updated_at=uow.now)
            if "display_field" in data:
                self._set_display_field(uow, app_key, table_key, data["display_field"])
            if "validation_rules" in data:
                self.set_validation_rules_in(uow, app_key, table_key, data["validation_rules"])
            return table_public(uow.catalog, uow.catalog.schema(s.id))

    @staticmethod
    def _with_workdays(uow: UnitOfWork) -> Catalog:
        """The catalog, after filling the working calendar's days table if it is still empty
        (a formula saved now may use WORKDAY or WORKDAYS in SQL)."""
        if uow.catalog.calendar_table is None and workdays.ensure(uow.conn):
            uow.schema_changed()
        return uow.catalog

    def set_validation_rules_in(
        self, uow: UnitOfWork, app_key: str, table_key: str, raw: Any
    ) -> None:
        """Replace a table's validation rules: formulas (TRUE: the record may be saved) with
        the message shown otherwise and, optionally, the field it shows at. Each is checked
        now: it must parse, name fields of the table (or through its relations) and give a
        boolean or a number; it is stored with field ids, so renaming a field keeps it."""
        from cairn.query.compile import FilterCompiler
        from cairn.query.formula import canonical
        from cairn.query.tree import FormulaNode

        if raw is None:
            raw = []
        if not isinstance(raw, list) or len(raw) > 50:
            raise Invalid.on("validation_rules", "table.rules_shape")
        cat = self._with_workdays(uow)
        s = cat.table(app_key, table_key)
        rules = []
        errors = FieldErrors()
        for i, item in enumerate(raw):
            loc = f"validation_rules.{i}"
            if not isinstance(item, dict) or set(item) - {"formula", "message", "field"}:
                errors.add(loc, Message("table.rules_shape"))
                continue
            message = item.get("message")
            if not isinstance(message, str) or not message.strip() or len(message) > 500:
                errors.add(f"{loc}.message", Message("table.rule_message"))
            text = item.get("formula")
            if not isinstance(text, str) or not text.strip() or len(text) > 2000:
                errors.add(f"{loc}.formula", Message("formula.empty", {"column": 1}))
                continue
            field_id = None
            if item.get("field") is not None:
                f = s.by_key.get(item["field"]) if isinstance(item["field"], str) else None
                if f is None:
                    errors.add(f"{loc}.field", Message("field.unknown", {"key": item["field"]}))
                    continue
                field_id = f.id
            try:
                stored, _formula, uses = canonical(cat, s, text, f"{loc}.formula")
                # Compiled once now as the check will be: type and SQL support are known.
                FilterCompiler(cat, s, self.s.clock).compile(FormulaNode(stored, f"{loc}.formula"))
            except Invalid as e:
                errors.merge("", e)
                continue
            rules.append(
                {
                    "formula": stored,
                    "message": message.strip() if isinstance(message, str) else "",
                    "field": field_id,
                    "uses": uses,
                }
            )
        errors.raise_if_any()
        uow.update_definitions(
            system.tables, s.id, validation_rules=rules or None, updated_at=uow.now
        )

    def get_layout(
        self, app_key: str, table_key: str, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app_key, table_key)
            return _layout_reply(s, unlisted(uow, s, _shown_or_403(uow, s)))

    def set_layout(
        self, principal: Principal, app_key: str, table_key: str, raw: Any
    ) -> dict[str, Any]:
        """Replace a table's form layout (None or no sections: back to the default)."""
        with unit_of_work(self.s, principal=principal) as uow:
            s = self.set_layout_in(uow, app_key, table_key, raw)
            uow.audit(
                Entry(
                    "table.layout",
                    "table",
                    s.id,
                    app_id=s.table.app_id,
                    table_id=s.id,
                    details={"layout": layout_public(s)},
                )
            )
            return _layout_reply(s)

    def set_layout_in(
        self, uow: UnitOfWork, app_key: str, table_key: str, raw: Any, loc: str = ""
    ) -> TableSchema:
        s = uow.catalog.table(app_key, table_key)
        stored = check_layout(s, raw, loc)
        uow.update_definitions(system.tables, s.id, layout=stored, updated_at=uow.now)
        return uow.catalog.schema(s.id)

    def _set_display_field(self, uow: UnitOfWork, app_key: str, table_key: str, fkey: Any) -> None:
        s = uow.catalog.table(app_key, table_key)
        fid = None
        if fkey is not None:
            f = s.by_key.get(fkey) if isinstance(fkey, str) else None
            if f is None:
                raise Invalid.on("display_field", "field.unknown", key=fkey)
            fid = f.id
        uow.update_definitions(system.tables, s.id, display_field_id=fid)

    def delete_table(self, app_key: str, table_key: str) -> None:
        with unit_of_work(self.s) as uow:
            s = uow.catalog.table(app_key, table_key)
            users = [
                f"{uow.catalog.all_tables[f.table_id].key}.{f.key}"
                for f in uow.catalog.all_fields.values()
                if f.deleted_at is None
                and f.type == "relation"
                and f.table_id != s.id
                and f.options.get("target_table_id") == s.id
                and uow.catalog.all_tables[f.table_id].deleted_at is None
            ]
            if users:
                raise Invalid.on("table", "table.in_use", users=users)
            uow.update_definitions(system.tables, s.id, deleted_at=uow.now)

    def restore_table(self, app_key: str, table_id: int) -> dict[str, Any]:
        with unit_of_work(self.s) as uow:
            app = uow.catalog.app(app_key)
            t = uow.catalog.all_tables.get(table_id)
            if t is None or t.app_id != app.id:
                raise NotFound("table.not_found", table=table_id)
            if t.deleted_at is None:
                raise Invalid.on("table", "recycle.not_deleted", key=t.key)
            if any(s.table.key == t.key for s in uow.catalog.tables_of(app.id)):
                raise Invalid.on("key", "key.taken", key=t.key)
            uow.update_definitions(system.tables, t.id, deleted_at=None)
            return table_public(uow.catalog, uow.catalog.schema(t.id))

    def recycle_bin(self, app_key: str, principal: Principal = SYSTEM) -> dict[str, Any]:
        """The app's deleted tables and fields, for those who could restore them: all of it
        for those who manage the app, the deleted fields of their tables for a table's
        managers; 403 for anyone else. (A read-only token reads what its user manages.)"""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            cat = uow.catalog
            app = cat.app(app_key)
            reader = replace(principal, read_only=False)
            whole = manages_app(uow.conn, reader, app.id)
            managed = [
                s for s in cat.tables_of(app.id) if whole or manages_table(uow.conn, reader, s)
            ]
            if not managed and not whole:
                raise Forbidden("auth.forbidden")
            tables = [
                {"id": t.id, "key": t.key, "name": t.name, "deleted_at": t.deleted_at.isoformat()}
                for t in (cat.deleted_tables(app.id) if whole else [])
            ]
            fields = []
            for s in managed:
                for f in cat.deleted_fields(s.id):
                    if f.options.get("reverse_of"):
                        continue
                    fields.append(
                        {
                            **field_public(cat, f),
                            "table": s.table.key,
                            "deleted_at": f.deleted_at.isoformat() if f.deleted_at else None,
                        }
                    )
            return {"tables": tables, "fields": fields}

    # fields ------------------------------------------------------------------------------
    def list_fields(
        self, app_key: str, table_key: str, principal: Principal = SYSTEM
    ) -> list[dict[str, Any]]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app_key, table_key)
            hidden = unlisted(uow, s, _shown_or_403(uow, s))
            return [field_public(uow.catalog, f) for f in s.fields if f.id not in hidden]

    def create_field(
        self,
        app_key: str,
        table_key: str,
        spec: dict[str, Any],
        principal: Principal = SYSTEM,
    ) -> dict[str, Any]:
        """``principal``: who asks. The route has checked that they manage ``table_key``; a
        relation's reverse field is a change to the other table, so they must manage it too."""
        with unit_of_work(self.s, principal=principal) as uow:
            fid = self.create_field_in(uow, app_key, table_key, spec)
            return field_public(uow.catalog, uow.catalog.all_fields[fid])

    def create_field_in(self, uow: UnitOfWork, app_key: str, table_key: str, spec: Any) -> int:
        if not isinstance(spec, dict):
            raise Invalid.on("field", "filter.shape")
        unknown = set(spec) - FIELD_ATTRS
        if unknown:
            raise Invalid(
                "invalid.input", {k: [Message("field.unknown", {"key": k})] for k in unknown}
            )
        s = uow.catalog.table(app_key, table_key)
        key = check_key(spec.get("key"))
        name = check_name(spec.get("name", key))
        if key in s.by_key:
            raise Invalid.on("key", "key.taken", key=key)
        type_key = spec.get("type")
        if not isinstance(type_key, str) or type_key not in self.s.field_types:
            raise Invalid.on("type", "field.type_unknown", type=type_key)
        ft = self.s.field_types.get(type_key)
        raw_options = spec.get("options") or {}
        if not isinstance(raw_options, dict):
            raise Invalid.on("options", "field.option_invalid", detail="options must be an object")
        reverse_spec = None
        if type_key == "relation":
            raw_options, reverse_spec = self._relation_options(uow, s, raw_options)
            self._require_manages(uow, [uow.catalog.table(s.app.key, reverse_spec["_target"]).id])
        elif type_key in ("lookup", "rollup"):
            raw_options = self._derived_options(uow, s, raw_options)
        elif type_key == "formula":
            raw_options = self._formula_options(uow, s, raw_options, None)
        options = ft.validate_options(raw_options)
        if options.get("sensitive"):
            self._require_keys(name)
        flags = self._flags(ft, spec)
        fid = self._insert_field(uow, s.id, key, name, type_key, options, flags, len(s.fields))
        f = uow.catalog.all_fields[fid]
        if flags["default"] is not None:
            self._check_default(uow, f, ft)
        if ft.stored:
            ddl.add_column(uow.conn, s.id, f, ft)
        if type_key == "relation":
            self._create_reverse(uow, s, f, reverse_spec or {})
        if ft.key == "auto_number":
            self._number_existing(uow, s, f)
        uow.schema_changed()
        return fid

    def _flags(self, ft: FieldType, spec: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in ("required", "unique"):
            v = spec.get(name, False)
            if not isinstance(v, bool):
                raise Invalid.on(name, "value.boolean")
            out[name] = v
        if out["unique"] and not ft.supports_unique:
            raise Invalid.on(
                "unique", "field.option_invalid", detail=f"a {ft.key} field cannot be unique"
            )
        if out["required"] and not ft.writable:
            raise Invalid.on("required", "field.read_only")
        help_text = spec.get("help_text") or ""
        if not isinstance(help_text, str) or len(help_text) > 2000:
            raise Invalid.on("help_text", "value.too_long", max=2000)
        out["help_text"] = help_text
        out["default"] = spec.get("default")
        if out["default"] is not None and not ft.writable:
            raise Invalid.on("default", "field.read_only")
        return out

    def _check_default(self, uow: UnitOfWork, f: Field, ft: FieldType) -> None:
        try:
            ft.coercer(f, self.s.field_ctx)(f.default)
        except BadValue as e:
            raise Invalid("invalid.input", {"default": [e.message]}) from None

    def _insert_field(
        self,
        uow: UnitOfWork,
        table_id: int,
        key: str,
        name: str,
        type_key: str,
        options: dict[str, Any],
        flags: dict[str, Any],
        position: int,
    ) -> int:
        fid = uow.insert_definition(
            system.fields,
            table_id=table_id,
            key=key,
            name=name,
            type=type_key,
            options=options,
            required=flags["required"],
            is_unique=flags["unique"],
            default=flags["default"],
            help_text=flags["help_text"],
            position=position,
            created_at=uow.now,
            updated_at=uow.now,
        )
        return fid

    def _relation_options(
        self, uow: UnitOfWork, s: TableSchema, raw: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        raw = dict(raw)
        target = raw.pop("target_table", None)
        reverse = raw.pop("reverse", None) or {}
        if not isinstance(reverse, dict):
            raise Invalid.on(
                "options.reverse", "field.option_invalid", detail="reverse must be an object"
            )
        try:
            ts = uow.catalog.table(s.app.key, target) if isinstance(target, str) else None
        except NotFound:
            ts = None
        if ts is None:
            raise Invalid.on("options.target_table", "table.not_found", table=target)
        raw["target_table_id"] = ts.id
        return raw, {**reverse, "_target": ts.table.key}

    def _create_reverse(
        self, uow: UnitOfWork, s: TableSchema, f: Field, reverse: dict[str, Any]
    ) -> None:
        target = uow.catalog.table(s.app.key, reverse["_target"])
        key = reverse.get("key") or s.table.key
        base, n = key, 2
        while key in target.by_key or (target.id == s.id and key == f.key):
            key, n = f"{base}_{n}", n + 1
        check_key(key, "options.reverse.key")
        name = reverse.get("name") or s.table.name
        multiple = reverse.get("multiple", True)
        if not isinstance(multiple, bool):
            raise Invalid.on("options.reverse.multiple", "value.boolean")
        rid = self._insert_field(
            uow,
            target.id,
            key,
            check_name(name, "options.reverse.name"),
            "relation",
            {
                "target_table_id": s.id,
                "multiple": multiple,
                "reverse_of": f.id,
                "reverse_field_id": None,
            },
            {"required": False, "unique": False, "default": None, "help_text": ""},
            len(target.fields),
        )
        uow.update_definitions(system.fields, f.id, options={**f.options, "reverse_field_id": rid})
        ddl.create_junction(
            uow.conn, f.id, single_src=not f.options.get("multiple", True), single_dst=not multiple
        )

    def _derived_options(
        self, uow: UnitOfWork, s: TableSchema, raw: dict[str, Any]
    ) -> dict[str, Any]:
        raw = dict(raw)
        rel_key = raw.pop("relation", None)
        rel = s.by_key.get(rel_key) if isinstance(rel_key, str) else None
        if rel is None or rel.type != "relation":
            raise Invalid.on("options.relation", "expand.field", field=rel_key)
        raw["relation_field_id"] = rel.id
        target = uow.catalog.schema(rel.options["target_table_id"])
        tkey = raw.pop("field", None)
        if tkey is not None:
            tf = target.by_key.get(tkey) if isinstance(tkey, str) else None
            if tf is None or not target.type_of(tf).stored:
                raise Invalid.on("options.field", "field.unknown", key=tkey)
            fn = raw.get("function", "count")
            if tf.sensitive and fn in ("min", "max"):
                raise Invalid.on("options.field", "field.sensitive_rollup", field=tf.name)
            if fn in ("sum", "avg") and target.type_of(tf).value_type != "number":
                raise Invalid.on(
                    "options.field",
                    "field.option_invalid",
                    detail="sum and avg need a number field",
                )
            raw["target_field_id"] = tf.id
        return raw

    def _formula_options(
        self, uow: UnitOfWork, s: TableSchema, raw: dict[str, Any], field_id: int | None
    ) -> dict[str, Any]:
        """Type-check the formula, store it with field ids, its result type and what it uses;
        refuse one that refers to itself through other formulas or is too deep for the database."""
        from cairn.formula import FormulaError, SqlEnvironment
        from cairn.formula.compile_sql import compile_typed
        from cairn.query.formula import CatalogSource, canonical, environment

        text = raw.get("formula")
        if not isinstance(text, str) or not text.strip():
            raise Invalid.on("options.formula", "formula.empty", column=1)
        unknown = set(raw) - {"formula", "result_type", "uses"}
        if unknown:
            raise Invalid.on("options", "field.option_invalid", detail=f"unknown {sorted(unknown)}")
        cat = self._with_workdays(uow)
        stored, formula, uses = canonical(cat, s, text, "options.formula")
        if formula.type.is_list:
            raise FormulaError("formula.list_result", formula.tree.span, "options.formula")
        if field_id is not None:
            self._check_formula_cycle(cat, field_id, uses)
        senv = SqlEnvironment.of(
            environment(cat, self.s.clock),
            uow.conn.dialect.name,
            cat.calendar_table,
        )
        try:
            compile_typed(formula.typed, CatalogSource(cat, s, s.sa_table, senv), senv)
        except FormulaError as e:
            raise e.at("options.formula") from None
        return {"formula": stored, "result_type": formula.type.kind, "uses": uses}

    @staticmethod
    def _check_formula_cycle(cat: Catalog, field_id: int, uses: list[int]) -> None:
        seen: set[int] = set()
        stack = [(u, [u]) for u in uses]
        while stack:
            fid, path = stack.pop()
            if fid == field_id:
                names = [cat.all_fields[i].key for i in [field_id, *path] if i in cat.all_fields]
                raise Invalid.on("options.formula", "formula.cycle", fields=" → ".join(names))
            if fid in seen:
                continue
            seen.add(fid)
            f = cat.all_fields.get(fid)
            if f is not None and f.type == "formula" and f.deleted_at is None:
                stack.extend((u, [*path, u]) for u in f.options.get("uses", []))

    def _number_existing(self, uow: UnitOfWork, s: TableSchema, f: Field) -> None:
        """A new auto_number field numbers the existing records in creation order."""
        from cairn.meta import format_number
        from cairn.store import records

        t = sa.table(
            s.table.sql_name, sa.column("id"), sa.column(f.column_name), sa.column("deleted_at")
        )
        ids = list(uow.conn.execute(sa.select(t.c.id).order_by(t.c.id)).scalars())
        if not ids:
            return
        first = records.reserve_sequence(uow.conn, f.id, len(ids), f.options.get("start", 1))
        uow.conn.execute(
            sa.update(t)
            .where(t.c.id == sa.bindparam("rid"))
            .values({f.column_name: sa.bindparam("v")}),
            [{"rid": rid, "v": format_number(f.options, first + i)} for i, rid in enumerate(ids)],
        )

    def update_field(
        self,
        app_key: str,
        table_key: str,
        field_key: str,
        data: dict[str, Any],
        principal: Principal = SYSTEM,
    ) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise Invalid.on("body", "filter.shape")
        unknown = set(data) - FIELD_ATTRS - {"convert"}
        if unknown:
            raise Invalid(
                "invalid.input", {k: [Message("field.unknown", {"key": k})] for k in unknown}
            )
        with unit_of_work(self.s, principal=principal) as uow:
            s = uow.catalog.table(app_key, table_key)
            f = s.by_key.get(field_key)
            if f is None:
                raise NotFound("field.not_found", field=field_key)
            self._require_manages_pair(uow, f)
            report: dict[str, Any] | None = None
            if "type" in data and data["type"] != f.type:
                report = self._convert(
                    uow, s, f, data["type"], data.get("options"), data.get("convert")
                )
                s = uow.catalog.schema(s.id)
                f = s.by_id[f.id]
            ft = s.type_of(f)
            values: dict[str, Any] = {}
            if "key" in data and data["key"] != f.key:
                key = check_key(data["key"])
                if key in s.by_key:
                    raise Invalid.on("key", "key.taken", key=key)
                values["key"] = key
            if "name" in data:
                values["name"] = check_name(data["name"])
            if "options" in data and report is None:
                raw = data["options"] or {}
                if f.type == "relation":
                    raw = {k: v for k, v in raw.items() if k in ("multiple",)}
                    merged = {**f.options, **raw}
                    values["options"] = ft.validate_options(merged, f)
                elif f.type in ("lookup", "rollup"):
                    values["options"] = ft.validate_options(self._derived_options(uow, s, raw), f)
                elif f.type == "formula":
                    values["options"] = ft.validate_options(
                        self._formula_options(uow, s, raw, f.id), f
                    )
                else:
                    if isinstance(raw, dict) and "sensitive" not in raw and f.sensitive:
                        raw = {**raw, "sensitive": True}  # off only when asked explicitly
                    values["options"] = ft.validate_options(raw, f)
                    if values["options"].get("sensitive") and not f.sensitive:
                        self._require_keys(f.name)
                        self._check_not_used(uow.catalog, f)
            flags = self._flags(
                ft,
                {
                    "required": f.required,
                    "unique": f.unique,
                    "help_text": f.help_text,
                    "default": f.default,
                    **{
                        k: data[k]
                        for k in ("required", "unique", "help_text", "default")
                        if k in data
                    },
                },
            )
            for name in ("required", "help_text", "default"):
                if name in data:
                    values[name] = flags[name]
            if "unique" in data and flags["unique"] != f.unique:
                values["is_unique"] = flags["unique"]
            if "position" in data:
                values["position"] = check_position(data["position"])
            if values:
                old_schema = s
                uow.update_definitions(system.fields, f.id, **values, updated_at=uow.now)
                s = uow.catalog.schema(s.id)
                nf = s.by_id[f.id]
                if "default" in values and nf.default is not None:
                    self._check_default(uow, nf, ft)
                if nf.sensitive != f.sensitive:
                    self._reseal(uow, old_schema, s, nf, ft)
                elif "is_unique" in values and ft.stored:
                    if nf.unique:
                        self._check_no_duplicates(uow, s, nf)
                    ddl.sync_indexes(uow.conn, s.id, nf, ft)
                if f.type == "relation" and "options" in values:
                    self._sync_cardinality(uow, nf)
                f = nf
            out = field_public(uow.catalog, uow.catalog.all_fields[f.id])
            if report is not None:
                out["conversion"] = report
            return out

    def _require_keys(self, name: str) -> None:
        if self.s.field_ctx.keyring is None:
            raise Invalid.on("options.sensitive", "field.sensitive_no_keys", field=name)

    @staticmethod
    def _check_not_used(cat: Catalog, f: Field) -> None:
        """A field whose value SQL computes with (formulas, validation rules, min/max rollups,
        directly or through a lookup) cannot become ciphertext."""
        through = [f.id] + [d.id for d in cat.dependents(f) if d.type == "lookup"]
        users: list[str] = []
        for fid in through:
            for d in cat.dependents(cat.all_fields[fid]):
                if d.type == "formula" or (
                    d.type == "rollup" and d.options.get("function") in ("min", "max")
                ):
                    users.append(f"{cat.all_tables[d.table_id].key}.{d.key}")
        for t in cat.all_tables.values():
            if t.deleted_at is not None:
                continue
            for i, rule in enumerate(t.validation_rules or []):
                if set(rule.get("uses", [])) & set(through):
                    users.append(f"{t.key}.validation_rules.{i}")
        if users:
            raise Invalid.on(
                "options.sensitive", "field.sensitive_used", field=f.name, uses=", ".join(users)
            )

    def _reseal(
        self, uow: UnitOfWork, old: TableSchema, new: TableSchema, f: Field, ft: FieldType
    ) -> None:
        """``f`` (as it is now) was made sensitive or plain: every stored value, live or in the
        recycle bin, is encrypted (and indexed) or decrypted in this transaction, and the
        history of the field keeps no plaintext from before."""
        from cairn.store import sensitive

        if f.sensitive:
            ddl.make_sensitive(uow.conn, new.id, f, ft)
            sealer = new.sealers[f.id]
            t = sa.table(
                new.table.sql_name,
                sa.column("id"),
                sa.column(f.column_name),
                sa.column(f.index_column_name),
            )
            for rows in _batches(uow.conn, t, f.column_name):
                params = []
                for rid, v in rows:
                    ct, bi = sealer.seal(v)
                    params.append({"rid": rid, "v": ct, "b": bi})
                uow.conn.execute(
                    sa.update(t)
                    .where(t.c.id == sa.bindparam("rid"))
                    .values(
                        {f.column_name: sa.bindparam("v"), f.index_column_name: sa.bindparam("b")}
                    ),
                    params,
                )
            if f.unique:
                self._check_no_duplicates(uow, new, f)
            ddl.sync_indexes(uow.conn, new.id, f, ft)
            sensitive.scrub_history(uow.conn, new.id, f.id)
        else:
            sealer = old.sealers[f.id]
            t = sa.table(new.table.sql_name, sa.column("id"), sa.column(f.column_name))
            for rows in _batches(uow.conn, t, f.column_name):
                uow.conn.execute(
                    sa.update(t)
                    .where(t.c.id == sa.bindparam("rid"))
                    .values({f.column_name: sa.bindparam("v")}),
                    [{"rid": rid, "v": sealer.open(v)} for rid, v in rows],
                )
            ddl.make_plain(uow.conn, new.id, f, ft)
            if f.unique:
                self._check_no_duplicates(uow, new, f)
            ddl.sync_indexes(uow.conn, new.id, f, ft)

    def _check_no_duplicates(self, uow: UnitOfWork, s: TableSchema, f: Field) -> None:
        if f.id in s.sealers:  # compare blind indexes; the values stay unshown
            bi = s.sa_table.c[f.index_column_name]
            dup = uow.conn.execute(
                sa.select(bi)
                .where(s.sa_table.c.deleted_at.is_(None), bi.is_not(None))
                .group_by(bi)
                .having(sa.func.count() > 1)
                .limit(1)
            ).first()
            if dup is not None:
                raise Invalid.on("unique", "field.unique", value="****")
            return
        col = s.column(f)
        t = s.sa_table
        dup = uow.conn.execute(
            sa.select(col, sa.func.count())
            .where(t.c.deleted_at.is_(None), col.is_not(None))
            .group_by(col)
            .having(sa.func.count() > 1)
            .limit(5)
        ).all()
        if dup:
            dumper = s.dumpers[f.id]
            vals = [dumper(v) if dumper else v for v, _ in dup]
            raise Invalid.on("unique", "field.unique", value=vals)

    def _sync_cardinality(self, uow: UnitOfWork, f: Field) -> None:
        owner = uow.catalog.all_fields[f.options.get("reverse_of") or f.id]
        rev = uow.catalog.all_fields[owner.options["reverse_field_id"]]
        single_src = not owner.options.get("multiple", True)
        single_dst = not rev.options.get("multiple", True)
        j = uow.catalog.junction(owner)
        for col, single in (("src_id", single_src), ("dst_id", single_dst)):
            if single:
                over = uow.conn.execute(
                    sa.select(j.c[col]).group_by(j.c[col]).having(sa.func.count() > 1).limit(1)
                ).first()
                if over is not None:
                    raise Invalid.on("options.multiple", "value.relation_single")
        ddl.set_junction_cardinality(uow.conn, owner.id, single_src, single_dst)

    def _convert(
        self,
        uow: UnitOfWork,
        s: TableSchema,
        f: Field,
        new_type: Any,
        raw_options: Any,
        mode: Any,
    ) -> dict[str, Any]:
        """Change a field's type. Every value goes old dump → new coerce. Values that do not
        convert are reported; unless ``convert == "keep"`` nothing changes. With "keep" the
        old column survives as a field in the recycle bin, so no value is ever lost."""
        if not isinstance(new_type, str) or new_type not in self.s.field_types:
            raise Invalid.on("type", "field.type_unknown", type=new_type)
        if f.sensitive:
            raise Invalid.on("type", "field.sensitive_convert", field=f.name)
        old_t, new_t = s.type_of(f), self.s.field_types.get(new_type)
        if not new_t.convertible_from(old_t):
            raise Unsupported("field.no_conversion", source=f.type, target=new_type)
        prev = f if new_type in ("single_select", "multi_select") else None
        options = new_t.validate_options(raw_options if isinstance(raw_options, dict) else {}, prev)
        t = s.sa_table
        col = s.column(f)
        dump = s.dumpers[f.id] or (lambda v: v)
        rows = list(uow.conn.execute(sa.select(t.c.id, col).where(col.is_not(None))))
        if new_type in ("single_select", "multi_select") and not options.get("choices"):
            seen: list[str] = []
            for _, v in rows:
                dv = dump(v)
                for item in dv if isinstance(dv, list) else [dv]:
                    if str(item) not in seen:
                        seen.append(str(item))
            options = new_t.validate_options({"choices": [{"value": v} for v in seen[:500]]})
        nf = f.model_copy(update={"type": new_type, "options": options})
        coerce = new_t.coercer(nf, self.s.field_ctx)
        converted: list[dict[str, Any]] = []
        failures: list[dict[str, Any]] = []
        for rid, v in rows:
            dv = dump(v)
            if isinstance(dv, list) and new_t.value_type not in ("choices",):
                dv = ", ".join(str(x) for x in dv)
            if isinstance(dv, bool) and new_t.value_type == "text":
                dv = "true" if dv else "false"
            try:
                converted.append({"rid": rid, "v": coerce(dv)})
            except BadValue as e:
                failures.append({"id": rid, "value": dv, "error": e.message.key})
        report = {"converted": len(converted), "failed": len(failures), "failures": failures[:100]}
        if failures and mode != "keep":
            raise (
                Invalid(
                    "invalid.input",
                    {
                        "type": [
                            Message("field.no_conversion", {"source": f.type, "target": new_type})
                        ]
                    },
                )
                if not converted
                else _conversion_refused(report)
            )
        ddl.drop_indexes(uow.conn, s.id, f.id)
        backup_id = None
        if failures:
            backup_id = self._insert_field(
                uow,
                s.id,
                _backup_key(s, f),
                f"{f.name} ({f.type})",
                f.type,
                f.options,
                {"required": False, "unique": False, "default": None, "help_text": ""},
                f.position,
            )
            uow.update_definitions(system.fields, backup_id, deleted_at=uow.now)
            ddl.rename_column(uow.conn, s.id, f.column_name, f"f_{backup_id}")
        else:
            ddl.drop_column(uow.conn, s.id, f.column_name)
        uow.update_definitions(
            system.fields,
            f.id,
            type=new_type,
            options=options,
            updated_at=uow.now,
            is_unique=f.unique and new_t.supports_unique,
        )
        ns = uow.catalog.schema(s.id)
        ddl.add_column(uow.conn, s.id, ns.by_id[f.id], new_t)
        if converted:
            uow.conn.execute(
                sa.update(ns.sa_table)
                .where(ns.sa_table.c.id == sa.bindparam("rid"))
                .values({f.column_name: sa.bindparam("v")}),
                converted,
            )
        if backup_id:
            report["kept_in_field"] = uow.catalog.all_fields[backup_id].key
        return report

    def delete_field(
        self, app_key: str, table_key: str, field_key: str, principal: Principal = SYSTEM
    ) -> None:
        with unit_of_work(self.s, principal=principal) as uow:
            s = uow.catalog.table(app_key, table_key)
            f = s.by_key.get(field_key)
            if f is None:
                raise NotFound("field.not_found", field=field_key)
            self._require_manages_pair(uow, f)
            pair = self._pair(uow.catalog, f)
            users = [
                f"{uow.catalog.all_tables[d.table_id].key}.{d.key}"
                for d in uow.catalog.dependents(f)
                if d.id not in pair
            ]
            if pair and len(pair) > 1:
                other = uow.catalog.all_fields[next(p for p in pair if p != f.id)]
                users += [
                    f"{uow.catalog.all_tables[d.table_id].key}.{d.key}"
                    for d in uow.catalog.dependents(other)
                    if d.id not in pair
                ]
            ids = pair or [f.id]
            for t in uow.catalog.all_tables.values():
                for i, rule in enumerate(t.validation_rules or []):
                    if set(rule.get("uses", [])) & set(ids):
                        users.append(f"{t.key}.validation_rules.{i}")
            if users:
                raise Invalid.on(field_key, "field.in_use", users=users)
            uow.update_definitions(system.fields, ids, deleted_at=uow.now)
            if s.table.display_field_id == f.id:
                uow.update_definitions(system.tables, s.id, display_field_id=None)

    def _require_manages_pair(self, uow: UnitOfWork, f: Field) -> None:
        """A relation field and its reverse are one definition across two tables: changing,
        deleting or restoring either side changes the other table too."""
        pair = self._pair(uow.catalog, f)
        self._require_manages(uow, [uow.catalog.all_fields[i].table_id for i in pair])

    @staticmethod
    def _require_manages(uow: UnitOfWork, table_ids: list[int]) -> None:
        """The unit of work's principal must manage each of ``table_ids`` (the route checked
        the table it names; this covers the other tables a change reaches)."""
        for tid in dict.fromkeys(table_ids):
            schema = uow.catalog.schemas.get(tid)
            if schema is not None and not manages_table(uow.conn, uow.principal, schema):
                raise Forbidden("auth.forbidden")

    @staticmethod
    def _pair(catalog: Catalog, f: Field) -> list[int]:
        if f.type != "relation":
            return []
        other = f.options.get("reverse_of") or f.options.get("reverse_field_id")
        return [f.id, other] if other else [f.id]

    def restore_field(
        self, app_key: str, table_key: str, field_id: int, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        with unit_of_work(self.s, principal=principal) as uow:
            s = uow.catalog.table(app_key, table_key)
            f = uow.catalog.all_fields.get(field_id)
            if f is None or f.table_id != s.id:
                raise NotFound("field.not_found", field=field_id)
            self._require_manages_pair(uow, f)
            if f.deleted_at is None:
                raise Invalid.on("field", "recycle.not_deleted", key=f.key)
            ids = self._pair(uow.catalog, f) or [f.id]
            for fid in ids:
                g = uow.catalog.all_fields[fid]
                owner = uow.catalog.schemas.get(g.table_id)
                if owner is None:
                    raise NotFound("table.not_found", table=g.table_id)
                if g.key in owner.by_key:
                    raise Invalid.on("key", "key.taken", key=g.key)
            uow.update_definitions(system.fields, ids, deleted_at=None)
            ns = uow.catalog.schema(s.id)
            nf = ns.by_id[f.id]
            if nf.unique:
                self._check_no_duplicates(uow, ns, nf)
            return field_public(uow.catalog, nf)


def _batches(conn: sa.Connection, t: Any, column: str, size: int = 1000) -> Any:
    """(id, value) of every row with a value, ``size`` at a time in id order (keyset)."""
    last = 0
    while True:
        rows = conn.execute(
            sa.select(t.c.id, t.c[column])
            .where(t.c.id > last, t.c[column].is_not(None))
            .order_by(t.c.id)
            .limit(size)
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _layout_reply(s: TableSchema, hidden: Collection[int] = frozenset()) -> dict[str, Any]:
    return {"layout": layout_public(s, hidden), "effective": layout_effective(s, hidden)}


def _backup_key(s: TableSchema, f: Field) -> str:
    base = f"{f.key}_{f.type}"[:56]
    key, n = base, 2
    taken = {g.key for g in s.fields} | {g.key for g in s.fields}
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def _conversion_refused(report: dict[str, Any]) -> Invalid:
    err = Invalid(
        "invalid.input",
        {
            f"records.{x['id']}": [
                Message(
                    x["error"], {"value": json.dumps(x["value"], ensure_ascii=False, default=str)}
                )
            ]
            for x in report["failures"][:20]
        },
    )
    err.extra = {
        "conversion": report,
        "hint": 'send "convert": "keep" to convert anyway and keep the old values',
    }  # type: ignore[attr-defined]
    return err


__all__ = [
    "SchemaService",
    "check_layout",
    "field_public",
    "junction_sides",
    "layout_effective",
    "layout_public",
    "table_public",
]
