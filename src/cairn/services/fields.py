"""Fields: create (with a relation's reverse), change (rename, options, flags, encryption, type
conversion), delete into the recycle bin and restore. Every change is metadata plus runtime DDL
in one transaction, and bumps the schema version so every process reloads its catalogue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Principal, manages_table
from cairn.core import Forbidden, Invalid, NotFound
from cairn.formula.forms import form_functions
from cairn.meta import BadValue, Field, FieldType, local_day
from cairn.meta.checks import (
    FIELD_ATTRS,
    PLAIN_FLAGS,
    check_flags,
    check_key,
    check_name,
    flag_updates,
    relation_pair,
    reverse_definition,
    unknown_attrs,
)
from cairn.meta.form_rules import check_default_formula
from cairn.query.datalink import datalink_options
from cairn.query.definitions import field_public
from cairn.query.dependents import check_not_used, field_users
from cairn.query.field_options import derived_options, formula_options, relation_options
from cairn.services import subforms
from cairn.services.conversions import convert, insert_field
from cairn.services.shown import listed_or_403, unlisted
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import Catalog, TableSchema, ddl, numbering, system, workdays
from cairn.store import field_values as values_sql

if TYPE_CHECKING:
    from cairn.services.context import Services


class FieldService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def list_fields(
        self, app_key: str, table_key: str, principal: Principal = SYSTEM
    ) -> list[dict[str, Any]]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app_key, table_key)
            hidden = unlisted(uow, s, listed_or_403(uow, s))
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
        unknown_attrs(spec, FIELD_ATTRS)
        s = uow.catalog.table(app_key, table_key)
        key = check_key(spec.get("key"))
        name = check_name(spec.get("name", key))
        if key in s.by_key:
            raise Invalid.on("key", "key.taken", key=key)
        type_key = spec.get("type")
        if not isinstance(type_key, str) or type_key not in self.s.field_types:
            raise Invalid.on("type", "field.type_unknown", type=type_key)
        ft = self.s.field_types.get(type_key)
        subforms.check_new_field(s, ft.holds_rows)
        raw_options = spec.get("options") or {}
        if not isinstance(raw_options, dict):
            raise Invalid.on("options", "field.option_invalid", detail="options must be an object")
        reverse_spec = None
        rows_key = None
        if ft.holds_rows:
            raw_options = dict(raw_options)
            rows_key = subforms.rows_table_key(uow, s, key, raw_options)
            subforms.check_new_totals(raw_options.get("totals"))
        elif ft.derived_from == "relation":
            raw_options, reverse_spec = relation_options(uow.catalog, s, raw_options)
            require_manages(uow, [uow.catalog.table(s.app.key, reverse_spec["_target"]).id])
        elif ft.derived_from == "through":
            raw_options = derived_options(uow.catalog, s, raw_options, type_key == "rollup")
        elif ft.derived_from == "formula":
            raw_options = self._formula_options(uow, s, raw_options, None)
        options = datalink_options(uow.catalog, s, key, None, ft, raw_options, ft.validate_options)
        if options.get("sensitive"):
            self._require_keys(name)
        flags = check_flags(ft, spec)
        fid = insert_field(uow, s.id, key, name, type_key, options, flags, len(s.fields))
        f = uow.catalog.all_fields[fid]
        if flags["default"] is not None:
            self._check_default(f, ft)
        if options.get("default_formula"):
            _check_default_formula(uow.catalog.schema(s.id), f)
        _check_survivorship(uow.catalog.schema(s.id), f)
        if ft.stored:
            ddl.add_column(uow.conn, s.id, f, ft)
        if f.is_relation:
            _create_reverse(uow, s, f, reverse_spec or {})
        if rows_key is not None:
            subforms.create_rows_table(uow, s, f, rows_key)
        if ft.sequenced:
            values_sql.number_existing(uow.conn, s, f, uow.catalog.ctx.timezone)
        uow.schema_changed()
        return fid

    def _formula_options(
        self, uow: UnitOfWork, s: TableSchema, raw: dict[str, Any], field_id: int | None
    ) -> dict[str, Any]:
        cat = with_workdays(uow)
        return formula_options(cat, s, raw, field_id, self.s.clock, uow.conn.dialect.name)

    def _check_default(self, f: Field, ft: FieldType) -> None:
        try:
            ft.coercer(f, self.s.field_ctx)(f.default)
        except BadValue as e:
            raise Invalid("invalid.input", {"default": [e.message]}) from None

    def _require_keys(self, name: str) -> None:
        if self.s.field_ctx.keyring is None:
            raise Invalid.on("options.sensitive", "field.sensitive_no_keys", field=name)

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
        unknown_attrs(data, FIELD_ATTRS | {"convert"})
        with unit_of_work(self.s, principal=principal) as uow:
            s = uow.catalog.table(app_key, table_key)
            f = s.by_key.get(field_key)
            if f is None:
                raise NotFound("field.not_found", field=field_key)
            require_manages_pair(uow, f)
            report: dict[str, Any] | None = None
            if "type" in data and data["type"] != f.type:
                report = convert(
                    self.s, uow, s, f, data["type"], data.get("options"), data.get("convert")
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
                values["options"] = self._new_options(uow, s, f, ft, data["options"] or {})
            values.update(flag_updates(ft, f, data))
            if values:
                f = self._apply(uow, s, f, ft, values)
            out = field_public(uow.catalog, uow.catalog.all_fields[f.id])
            if report is not None:
                out["conversion"] = report
            return out

    def _new_options(
        self, uow: UnitOfWork, s: TableSchema, f: Field, ft: FieldType, raw: Any
    ) -> dict[str, Any]:
        """The field's checked options after a change of them (the type stays)."""

        def validate(options: dict[str, Any]) -> dict[str, Any]:
            return ft.validate_options(options, f)

        if f.is_relation:
            raw = {k: v for k, v in raw.items() if k in ("multiple", "fill")}
            return datalink_options(uow.catalog, s, f.key, f.id, ft, {**f.options, **raw}, validate)
        if f.reads_through_relation:
            return ft.validate_options(derived_options(uow.catalog, s, raw, f.is_rollup), f)
        if f.is_subform:
            return ft.validate_options(subforms.new_options(uow, f, raw), f)
        if f.is_formula:
            return ft.validate_options(self._formula_options(uow, s, raw, f.id), f)
        if isinstance(raw, dict) and "sensitive" not in raw and f.sensitive:
            raw = {**raw, "sensitive": True}  # off only when asked explicitly
        options = datalink_options(uow.catalog, s, f.key, f.id, ft, raw, validate)
        if options.get("sensitive") and not f.sensitive:
            self._require_keys(f.name)
            check_not_used(uow.catalog, f)
        return options

    def set_totals_in(self, uow: UnitOfWork, s: TableSchema, f: Field, totals: Any) -> None:
        """Set the footer totals of the sub-form ``f`` (an app package's, once its rows' table
        has its columns)."""
        ft = s.type_of(f)
        self._apply(
            uow, s, f, ft, {"options": self._new_options(uow, s, f, ft, {"totals": totals})}
        )

    def set_fill_in(self, uow: UnitOfWork, s: TableSchema, f: Field, fill: Any) -> None:
        """Set the fill pairs of the relation ``f`` (an app package's reverse side, created
        with its owner)."""
        ft = s.type_of(f)
        self._apply(uow, s, f, ft, {"options": self._new_options(uow, s, f, ft, {"fill": fill})})

    def _apply(
        self, uow: UnitOfWork, s: TableSchema, f: Field, ft: FieldType, values: dict[str, Any]
    ) -> Field:
        """Store the checked ``values`` of ``f`` and bring its stored values and indexes along."""
        old_schema = s
        uow.update_definitions(system.fields, f.id, **values, updated_at=uow.now)
        s = uow.catalog.schema(s.id)
        nf = s.by_id[f.id]
        if "default" in values and nf.default is not None:
            self._check_default(nf, ft)
        if "options" in values and nf.options.get("default_formula"):
            _check_default_formula(s, nf)
        if "options" in values:
            _check_survivorship(s, nf)
        if nf.sensitive != f.sensitive:
            values_sql.reseal(uow.conn, old_schema, s, nf, ft)
        elif "is_unique" in values and ft.stored:
            if nf.unique:
                values_sql.check_no_duplicates(uow.conn, s, nf)
            ddl.sync_indexes(uow.conn, s.id, nf, ft)
        if f.is_relation and "options" in values:
            _sync_cardinality(uow, nf)
        if ft.sequenced and "options" in values:
            day = local_day(uow.now, uow.catalog.ctx.timezone)
            numbering.carry_counter(uow.conn, nf.id, f.options, nf.options, day)
        return nf

    def delete_field(
        self, app_key: str, table_key: str, field_key: str, principal: Principal = SYSTEM
    ) -> None:
        with unit_of_work(self.s, principal=principal) as uow:
            s = uow.catalog.table(app_key, table_key)
            f = s.by_key.get(field_key)
            if f is None:
                raise NotFound("field.not_found", field=field_key)
            require_manages_pair(uow, f)
            pair = relation_pair(f)
            users = field_users(uow.catalog, f, pair) + subforms.rows_users(uow.catalog, s, [f])
            if users:
                raise Invalid.on(field_key, "field.in_use", users=users)
            uow.update_definitions(system.fields, pair or [f.id], deleted_at=uow.now)
            # A deleted field's column stays (it may be restored), its automatic indexes go.
            ddl.drop_automatic_indexes(uow.conn, s.id, f.id)
            if s.table.display_field_id == f.id:
                uow.update_definitions(system.tables, s.id, display_field_id=None)

    def restore_field(
        self, app_key: str, table_key: str, field_id: int, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        with unit_of_work(self.s, principal=principal) as uow:
            s = uow.catalog.table(app_key, table_key)
            f = uow.catalog.all_fields.get(field_id)
            if f is None or f.table_id != s.id:
                raise NotFound("field.not_found", field=field_id)
            require_manages_pair(uow, f)
            if f.deleted_at is None:
                raise Invalid.on("field", "recycle.not_deleted", key=f.key)
            if f.is_subform:
                subforms.check_restorable(uow, f)
            ids = relation_pair(f) or [f.id]
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
                values_sql.check_no_duplicates(uow.conn, ns, nf)
            return field_public(uow.catalog, nf)


def _check_default_formula(s: TableSchema, f: Field) -> None:
    """A field's default formula type-checks and gives what the field holds."""
    text = f.options["default_formula"]
    check_default_formula(s, f, text, form_functions(), "options.default_formula")


def _check_survivorship(s: TableSchema, f: Field) -> None:
    """A survivorship rule "source" names a stored field of the same table holding the source."""
    source = (f.options.get("survivorship") or {}).get("source_field")
    if source is None:
        return
    other = s.by_key.get(source)
    if other is None or not s.type_of(other).stored or s.type_of(other).holds_rows:
        raise Invalid.on("options.survivorship.source_field", "field.unknown", key=source)


def with_workdays(uow: UnitOfWork) -> Catalog:
    """The catalog, after filling the working calendar's days table if it is still empty
    (a formula saved now may use WORKDAY or WORKDAYS in SQL)."""
    if uow.catalog.calendar_table is None and workdays.ensure(uow.conn):
        uow.schema_changed()
    return uow.catalog


def require_manages_pair(uow: UnitOfWork, f: Field) -> None:
    """A relation field and its reverse are one definition across two tables: changing,
    deleting or restoring either side changes the other table too."""
    require_manages(uow, [uow.catalog.all_fields[i].table_id for i in relation_pair(f)])


def require_manages(uow: UnitOfWork, table_ids: list[int]) -> None:
    """The unit of work's principal must manage each of ``table_ids`` (the route checked
    the table it names; this covers the other tables a change reaches)."""
    for tid in dict.fromkeys(table_ids):
        schema = uow.catalog.schemas.get(tid)
        if schema is not None and not manages_table(uow.conn, uow.principal, schema):
            raise Forbidden("auth.forbidden")


def _create_reverse(uow: UnitOfWork, s: TableSchema, f: Field, reverse: dict[str, Any]) -> None:
    target = uow.catalog.table(s.app.key, reverse["_target"])
    taken = set(target.by_key) | ({f.key} if target.id == s.id else set())
    key, name, multiple = reverse_definition(reverse, s.table.key, s.table.name, taken)
    rid = insert_field(
        uow,
        target.id,
        key,
        name,
        "relation",
        {
            "target_table_id": s.id,
            "multiple": multiple,
            "reverse_of": f.id,
            "reverse_field_id": None,
        },
        PLAIN_FLAGS,
        len(target.fields),
    )
    uow.update_definitions(system.fields, f.id, options={**f.options, "reverse_field_id": rid})
    ddl.create_junction(
        uow.conn, f.id, single_src=not f.options.get("multiple", True), single_dst=not multiple
    )


def _sync_cardinality(uow: UnitOfWork, f: Field) -> None:
    owner = uow.catalog.all_fields[f.options.get("reverse_of") or f.id]
    rev = uow.catalog.all_fields[owner.options["reverse_field_id"]]
    single_src = not owner.options.get("multiple", True)
    single_dst = not rev.options.get("multiple", True)
    j = uow.catalog.junction(owner)
    for col, single in (("src_id", single_src), ("dst_id", single_dst)):
        if single:
            values_sql.check_single(uow.conn, j, col)
    ddl.set_junction_cardinality(uow.conn, owner.id, single_src, single_dst)
