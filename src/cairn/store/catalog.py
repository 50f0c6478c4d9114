"""The catalogue: a snapshot of every app, table and field at one schema version, with the
SQLAlchemy ``Table`` objects of the record tables and the per-field coercers and dumpers.

Each unit of work reads ``schema_state.version`` (one indexed row) and reloads the snapshot when
another process changed the schema, so any number of API processes and workers stay in step.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

import sqlalchemy as sa

from cairn.core import NotFound
from cairn.core.workcalendar import WorkCalendar
from cairn.meta import App, Field, FieldContext, FieldType, FieldTypeRegistry, Table
from cairn.meta.fieldtypes.relations import junction_name
from cairn.store import changes, system, workdays
from cairn.store.sensitive import Sealer
from cairn.store.system import ID


@dataclass
class TableSchema:
    """One record table as the store and the query layer see it."""

    table: Table
    app: App
    fields: list[Field]
    types: dict[int, FieldType]
    sa_table: sa.Table
    coercers: dict[int, Callable[[Any], Any]]
    dumpers: dict[int, Callable[[Any], Any] | None]
    #: Sensitive fields (encrypted at rest): field id -> its sealer.
    sealers: dict[int, Sealer] = dc_field(default_factory=dict)
    by_key: dict[str, Field] = dc_field(default_factory=dict)
    by_id: dict[int, Field] = dc_field(default_factory=dict)
    #: The table of a sub-form's rows: the parent record's table and its sub-form field.
    parent: TableSchema | None = dc_field(default=None, repr=False, compare=False)
    parent_field: Field | None = dc_field(default=None, repr=False, compare=False)
    #: The tables of this table's sub-form fields' rows, by field id.
    subforms: dict[int, TableSchema] = dc_field(default_factory=dict, repr=False, compare=False)
    #: What is derived from this snapshot of the table and costly to derive again (a form's
    #: compiled linkage rules): it lives as long as the snapshot.
    memo: dict[Any, Any] = dc_field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.by_key = {f.key: f for f in self.fields}
        self.by_id = {f.id: f for f in self.fields}

    @property
    def id(self) -> int:
        return self.table.id

    def type_of(self, f: Field) -> FieldType:
        return self.types[f.id]

    def column(self, f: Field) -> sa.Column:
        return self.sa_table.c[f.column_name]

    def row_values(self, columns: dict[int, Any]) -> dict[str, Any]:
        """Coerced values by field id as the columns to write: sensitive values sealed, with
        their blind index."""
        out: dict[str, Any] = {}
        for fid, v in columns.items():
            f = self.by_id[fid]
            sealer = self.sealers.get(fid)
            if sealer is None:
                out[f.column_name] = v
            else:
                out[f.column_name], out[f.index_column_name] = sealer.seal(v)
        return out

    @property
    def stored_fields(self) -> list[Field]:
        return [f for f in self.fields if self.types[f.id].stored]

    @property
    def display_field(self) -> Field | None:
        if self.table.display_field_id and self.table.display_field_id in self.by_id:
            return self.by_id[self.table.display_field_id]
        for f in self.fields:
            if self.types[f.id].holds_text and self.types[f.id].stored:
                return f
        return None


#: The system columns of a sub-form's rows besides a record's: the parent record, the order.
ROW_COLUMNS = ("parent_id", "position")


def record_columns(
    table_id: int, stored: list[tuple[Field, FieldType]], rows: bool = False
) -> list[sa.Column]:
    """A record table's columns; ``rows``: the table of a sub-form's rows (with
    ``parent_id`` and ``position``)."""
    cols = [
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", ID),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("updated_by", ID),
        sa.Column("owner_id", ID),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("deleted_at", sa.DateTime),
    ]
    if rows:
        # ``position`` orders a parent's live rows (with gaps: see ``store.subforms``); a row
        # removed from the list keeps none, one deleted with its parent keeps its own.
        cols += [sa.Column("parent_id", ID, nullable=False), sa.Column("position", sa.Integer)]
    for f, ft in stored:
        cols.append(sa.Column(f.column_name, ft.storage_type(f)))
        if f.sensitive:
            cols.append(sa.Column(f.index_column_name, BLIND_INDEX))
    return cols


#: The blind-index column's type (32 hexadecimal characters).
BLIND_INDEX = sa.String(32)


def junction_table(md: sa.MetaData, name: str) -> sa.Table:
    if name in md.tables:
        return md.tables[name]
    return sa.Table(
        name,
        md,
        sa.Column("src_id", ID, primary_key=True),
        sa.Column("dst_id", ID, primary_key=True),
    )


class Catalog:
    """An immutable snapshot; look things up by key (API) or id (storage)."""

    def __init__(
        self,
        version: int,
        apps: list[App],
        tables: list[Table],
        fields: list[Field],
        field_types: FieldTypeRegistry,
        ctx: FieldContext,
    ) -> None:
        self.version = version
        #: The working calendar (WORKDAY, WORKDAYS) and, once filled, its days table in SQL.
        self.calendar: WorkCalendar | None = None
        self.calendar_table: sa.Table | None = None
        self.field_types = field_types
        self.ctx = ctx
        self.metadata = sa.MetaData()
        self.apps = {a.id: a for a in apps}
        self.all_tables = {t.id: t for t in tables}
        self.all_fields = {f.id: f for f in fields}
        self._app_by_key = {a.key: a for a in apps if a.deleted_at is None}
        live_fields: dict[int, list[Field]] = {}
        for f in sorted(fields, key=lambda f: (f.position, f.id)):
            if f.deleted_at is None:
                live_fields.setdefault(f.table_id, []).append(f)
        self.schemas: dict[int, TableSchema] = {}
        self._table_by_key: dict[tuple[int, str], TableSchema] = {}
        children = []
        for t in tables:
            app = self.apps[t.app_id]
            if t.deleted_at is not None or app.deleted_at is not None:
                continue
            if t.parent_field_id is not None:
                children.append(t)
                continue
            self._add_schema(app, t, live_fields.get(t.id, []))
        # A sub-form's rows are live while its field is (its table live with it).
        for t in children:
            pf = self.all_fields.get(t.parent_field_id)  # type: ignore[arg-type]
            parent = self.schemas.get(pf.table_id) if pf is not None else None
            if parent is None or pf is None or pf.id not in parent.by_id:
                continue
            child = self._add_schema(self.apps[t.app_id], t, live_fields.get(t.id, []), True)
            child.parent, child.parent_field = parent, pf
            parent.subforms[pf.id] = child

    def _add_schema(self, app: App, t: Table, fs: list[Field], rows: bool = False) -> TableSchema:
        types = {f.id: self.field_types.get(f.type) for f in fs}
        stored = [(f, types[f.id]) for f in fs if types[f.id].stored]
        sa_table = sa.Table(t.sql_name, self.metadata, *record_columns(t.id, stored, rows))
        coercers = {f.id: types[f.id].coercer(f, self.ctx) for f in fs}
        dumpers = {f.id: types[f.id].dumper(f, self.ctx) for f in fs}
        sealers = {
            f.id: Sealer(f, types[f.id], self.ctx.keyring)
            for f in fs
            if f.sensitive and types[f.id].encryptable and types[f.id].stored
        }
        for fid, sealer in sealers.items():
            dumpers[fid] = sealer.opening(dumpers[fid])
        schema = TableSchema(t, app, fs, types, sa_table, coercers, dumpers, sealers)
        self.schemas[t.id] = schema
        self._table_by_key[(app.id, t.key)] = schema
        return schema

    # -- look-ups ----------------------------------------------------------------------------
    def app(self, key: str) -> App:
        try:
            return self._app_by_key[key]
        except KeyError:
            raise NotFound("app.not_found", app=key) from None

    def live_apps(self) -> list[App]:
        return sorted(self._app_by_key.values(), key=lambda a: (a.position, a.id))

    def table(self, app_key: str, table_key: str) -> TableSchema:
        app = self.app(app_key)
        try:
            return self._table_by_key[(app.id, table_key)]
        except KeyError:
            raise NotFound("table.not_found", table=table_key) from None

    def tables_of(self, app_id: int) -> list[TableSchema]:
        return sorted(
            (s for s in self.schemas.values() if s.table.app_id == app_id),
            key=lambda s: (s.table.position, s.table.id),
        )

    def schema(self, table_id: int) -> TableSchema:
        try:
            return self.schemas[table_id]
        except KeyError:
            raise NotFound("table.not_found", table=table_id) from None

    def junction(self, f: Field) -> sa.Table:
        return junction_table(self.metadata, junction_name(f))

    def field_by_id(self, field_id: int) -> Field:
        try:
            return self.all_fields[field_id]
        except KeyError:
            raise NotFound("field.not_found", field=field_id) from None

    def deleted_tables(self, app_id: int) -> list[Table]:
        return [t for t in self.all_tables.values() if t.app_id == app_id and t.deleted_at]

    def deleted_fields(self, table_id: int) -> list[Field]:
        return [f for f in self.all_fields.values() if f.table_id == table_id and f.deleted_at]

    def dependents(self, f: Field) -> list[Field]:
        """Live fields whose definition refers to ``f`` (lookups, rollups, reverse relations,
        formulas, a relation's fill pairs, cascading choices' parent)."""
        out = []
        for other in self.all_fields.values():
            if other.deleted_at is not None or other.id == f.id:
                continue
            o = other.options
            if (
                f.id
                in (
                    o.get("relation_field_id"),
                    o.get("target_field_id"),
                    o.get("reverse_of"),
                    o.get("parent"),
                )
                or f.id in (o.get("uses") or ())
                or any(f.id in (p.get("from"), p.get("to")) for p in o.get("fill") or ())
            ):
                out.append(other)
        return out


def load_catalog(
    conn: sa.Connection, field_types: FieldTypeRegistry, ctx: FieldContext, version: int
) -> Catalog:
    apps = [App(**r._mapping) for r in conn.execute(sa.select(*_cols(system.apps, App)))]
    tables = [Table(**r._mapping) for r in conn.execute(sa.select(*_cols(system.tables, Table)))]
    fields = [
        Field(**{**r._mapping, "unique": r.is_unique})
        for r in conn.execute(
            sa.select(*_cols(system.fields, Field, skip={"unique"}), system.fields.c.is_unique)
        )
    ]
    cat = Catalog(version, apps, tables, fields, field_types, ctx)
    # WORKDAY and WORKDAYS: the calendar for Python, its days table for SQL once filled.
    cat.calendar = workdays.calendar(conn)
    cat.calendar_table = system.calendar_days if workdays.filled(conn) else None
    return cat


def _cols(table: sa.Table, model: type, skip: set[str] | None = None) -> list[sa.Column]:
    names = set(model.model_fields) - (skip or set())
    return [c for c in table.c if c.name in names]


#: Read on every unit of work: a constant statement, run by the driver without Core's
#: compile and cache-key step (a third of a page query's overhead otherwise).
VERSION_SQL = "SELECT version FROM schema_state WHERE id = 1"
#: Where a PostgreSQL connection keeps the version its checkout read (``store.engine``): the
#: statement that checks the connection is alive reads it, so a unit of work needs no other.
CHECKED_VERSION = "cairn_checked_schema_version"


def schema_version(conn: sa.Connection) -> int:
    """The schema version: the one read when this connection was checked out, the first time
    it is asked for after that; else read now."""
    fairy = conn.connection
    checked = fairy.info.pop(CHECKED_VERSION, None)
    if checked is not None:
        return int(checked)
    # The driver's cursor, in the connection's transaction: a constant one-row read needs
    # none of Core's execution context (a tenth of a page read's own time on SQLite).
    cursor = fairy.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(VERSION_SQL)
        row = cursor.fetchone()
    finally:
        cursor.close()
    if row is None:
        raise RuntimeError("schema_state holds no version: run the migrations")
    return int(row[0])


def bump_schema_version(conn: sa.Connection) -> None:
    conn.connection.info.pop(CHECKED_VERSION, None)
    conn.execute(
        sa.update(system.schema_state)
        .where(system.schema_state.c.id == 1)
        .values(version=system.schema_state.c.version + 1)
    )


class CatalogCache:
    """Keeps the newest snapshot for a process; thread-safe reload on a version change."""

    def __init__(self, field_types: FieldTypeRegistry, ctx: FieldContext) -> None:
        self.field_types = field_types
        self.ctx = ctx
        self._catalog: Catalog | None = None
        self._lock = threading.Lock()

    def get(self, conn: sa.Connection, *, private: bool = False) -> Catalog:
        """The snapshot for this connection's view. ``private`` (a transaction that changed the
        schema and has not committed) loads a snapshot that is never shared."""
        if private:
            return load_catalog(conn, self.field_types, self.ctx, schema_version(conn))
        version = schema_version(conn)
        cat = self._catalog
        if cat is not None and cat.version == version:
            return cat
        with self._lock:
            cat = self._catalog
            if cat is None or cat.version != version:
                cat = load_catalog(conn, self.field_types, self.ctx, version)
                self._catalog = cat
            return cat

    @property
    def latest(self) -> Catalog | None:
        """The snapshot loaded last, without looking at the database (None before the first)."""
        return self._catalog

    def invalidate(self) -> None:
        self._catalog = None


def update_definitions(
    conn: sa.Connection, table: sa.Table, ids: int | list[int], **values: Any
) -> None:
    """Change rows of a definition table (apps, tables, fields) by id. The caller marks the
    schema as changed (``UnitOfWork.update_definitions`` does both)."""
    changes.touching(conn, table, ids)
    where = table.c.id.in_(ids) if isinstance(ids, list) else table.c.id == ids
    conn.execute(sa.update(table).where(where).values(**values))


def insert_definition(conn: sa.Connection, table: sa.Table, **values: Any) -> int:
    """Add a row to a definition table (apps, tables, fields); returns its id."""
    new_id = conn.execute(sa.insert(table).values(**values).returning(table.c.id)).scalar_one()
    changes.created(conn, table, new_id)
    return new_id
