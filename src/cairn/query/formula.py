"""Formulas over record tables: the form engine's side of ``cairn.formula``'s protocols.

``CatalogResolver`` lets the type checker find fields by name or key (and by the ``#<id>`` a
saved formula uses); ``CatalogSource`` gives the SQL compiler the columns, lookups, rollups,
other formula fields and relations of a record table. ``formula_columns`` compiles a formula
for both dialects at once (``ByDialect``), so a query is built once without knowing its engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import Any, ClassVar
from weakref import WeakKeyDictionary

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal

from cairn.core import Clock, SystemClock
from cairn.core.clock import clock_reads, note_clock_read
from cairn.formula import (
    BOOLEAN,
    DATE,
    DATETIME,
    NUMBER,
    SA_TYPES,
    TEXT,
    Compiled,
    Environment,
    FieldInfo,
    Formula,
    FormulaError,
    SqlEnvironment,
    SqlRelated,
    Type,
    list_of,
    parse,
    to_text,
)
from cairn.formula.ast import rename_fields
from cairn.formula.compile_sql import compile_typed
from cairn.meta import Field
from cairn.query.expand import field_expression, links
from cairn.store.catalog import Catalog, TableSchema

VALUE_TYPES = {
    "number": NUMBER,
    "text": TEXT,
    "boolean": BOOLEAN,
    "date": DATE,
    "datetime": DATETIME,
}
MAX_FORMULA_NESTING = 8


def formula_type_of(catalog: Catalog, schema: TableSchema, f: Field) -> Type | None:
    """The formula type of a field's value, None when formulas cannot use it."""
    ft = schema.types[f.id]
    if f.is_formula:
        return Type(f.options.get("result_type", "blank"))
    if f.is_rollup:
        return NUMBER
    if ft.value_type == "choice":  # a single select: formulas see the chosen label
        return TEXT
    if f.is_lookup:
        target = catalog.all_fields.get(int(f.options.get("target_field_id") or 0))
        relation = schema.by_id.get(int(f.options.get("relation_field_id") or 0))
        if target is None or relation is None or target.deleted_at is not None:
            return None
        inner = formula_type_of(catalog, catalog.schema(target.table_id), target)
        if inner is None or inner.is_list:
            return None
        return inner if not relation.options.get("multiple", True) else list_of(inner)
    if ft.stored:
        return VALUE_TYPES.get(ft.value_type)
    return None


def _shows_sensitive(catalog: Catalog, f: Field) -> bool:
    """``f`` is, or looks up, a sensitive field: its value is ciphertext to SQL."""
    if f.is_lookup:
        f = catalog.all_fields.get(int(f.options.get("target_field_id") or 0)) or f
    return f.sensitive


def find_field(schema: TableSchema, name: str) -> Field | None:
    """A field of ``schema`` as a formula names it: ``#<id>``, its key, or its name."""
    if name.startswith("#") and name[1:].isdecimal():
        return schema.by_id.get(int(name[1:]))
    f = schema.by_key.get(name)
    if f is not None:
        return f
    return next((x for x in schema.fields if x.name == name), None)


@dataclass
class CatalogResolver:
    catalog: Catalog
    schema: TableSchema

    def field(self, name: str) -> FieldInfo | None:
        f = find_field(self.schema, name)
        if f is None:
            return None
        if f.reaches_rows:  # a relation, or a sub-form (its rows, many)
            return FieldInfo(
                f"#{f.id}",
                list_of("record"),
                relation=True,
                multiple=f.is_subform or f.options.get("multiple", True),
            )
        t = formula_type_of(self.catalog, self.schema, f)
        if t is not None and _shows_sensitive(self.catalog, f):
            return FieldInfo(f"#{f.id}", t, refused="formula.sensitive_field")
        return None if t is None else FieldInfo(f"#{f.id}", t)

    def target(self, relation_key: str) -> CatalogResolver | None:
        f = find_field(self.schema, relation_key)
        if f is None or not f.reaches_rows or f.reached_table_id is None:
            return None
        return CatalogResolver(self.catalog, self.catalog.schema(f.reached_table_id))


@dataclass
class CatalogSource:
    catalog: Catalog
    schema: TableSchema
    source: Any
    env: SqlEnvironment
    depth: int = 0

    def column(self, key: str) -> Any:
        f = find_field(self.schema, key)
        assert f is not None
        if f.is_formula:
            if self.depth >= MAX_FORMULA_NESTING:
                return Compiled(sa.null())
            formula = Formula.compile(
                f.options["formula"], CatalogResolver(self.catalog, self.schema)
            )
            inner = CatalogSource(self.catalog, self.schema, self.source, self.env, self.depth + 1)
            return compile_typed(formula.typed, inner, self.env, check_sqlite=False)
        if self.schema.types[f.id].value_type == "choice":
            labels = {c["id"]: c.get("value", c["id"]) for c in f.options.get("choices", [])}
            col = self.source.c[f.column_name]
            if not labels:
                return sa.type_coerce(sa.null(), sa.Text())
            return sa.case(labels, value=col, else_=sa.null())
        return field_expression(self.catalog, self.schema, f, self.source)

    def related(self, relation_key: str) -> SqlRelated:
        f = find_field(self.schema, relation_key)
        assert f is not None
        lk = links(self.catalog, f, self.source)
        target = CatalogSource(self.catalog, lk.target, lk.target_rows, self.env, self.depth)
        return SqlRelated(target, lk.select, lk.order)


def environment(catalog: Catalog, clock: Clock | None = None) -> Environment:
    """Today and now in the installation's zone, and the zone's offset now."""
    note_clock_read()  # TODAY() may be in the formula (NOW() says so itself)
    tz = catalog.ctx.timezone
    now_utc = (clock or SystemClock()).now()
    if now_utc.tzinfo is None:
        now_utc = now_utc.replace(tzinfo=UTC)
    local = now_utc.astimezone(tz)
    offset = int(local.utcoffset().total_seconds()) if local.utcoffset() else 0
    naive = local.replace(tzinfo=None, microsecond=0)
    return Environment(naive.date(), naive, offset, catalog.calendar)


def compile_text(
    catalog: Catalog, schema: TableSchema, text: str, location: str = "formula"
) -> Formula:
    return Formula.compile(text, CatalogResolver(catalog, schema), location=location)


class ByDialect(sa.ColumnElement[Any]):
    """One expression per dialect, chosen when the statement is compiled. Both expressions
    (and the type) make its cache key, so a statement holding it is compiled once per shape
    and dialect, like any other, and its bound values travel as parameters."""

    inherit_cache = False
    _traverse_internals: ClassVar[Any] = [
        ("sqlite", InternalTraversal.dp_clauseelement),
        ("postgresql", InternalTraversal.dp_clauseelement),
        ("type", InternalTraversal.dp_type),
    ]

    def __init__(self, sqlite: Any, postgresql: Any, type_: Any) -> None:
        self.sqlite = sqlite
        self.postgresql = postgresql
        self.type = type_

    def get_children(self, **kw: Any) -> list[Any]:
        return [self.sqlite]

    @property
    def _from_objects(self) -> list[Any]:
        return list(getattr(self.sqlite, "_from_objects", []))


@compiles(ByDialect)
def _by_dialect_default(element: ByDialect, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.sqlite, **kw)


@compiles(ByDialect, "postgresql")
def _by_dialect_pg(element: ByDialect, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.postgresql, **kw)


def formula_compiled(
    catalog: Catalog,
    schema: TableSchema,
    formula: Formula,
    source: Any = None,
    clock: Clock | None = None,
    location: str = "formula",
) -> tuple[Any, Any]:
    """(value, error) of ``formula`` over the rows of ``source`` for whichever database runs it."""
    source = schema.sa_table if source is None else source
    env = environment(catalog, clock)
    out: dict[str, Compiled] = {}
    for name in ("sqlite", "postgresql"):
        senv = SqlEnvironment.of(env, name, catalog.calendar_table)
        try:
            out[name] = compile_typed(
                formula.typed,
                CatalogSource(catalog, schema, source, senv),
                senv,
                check_sqlite=False,
            )
        except FormulaError as e:
            raise e.at(location) from None
    t = SA_TYPES.get(formula.type.kind, sa.Text())
    value = ByDialect(out["sqlite"].value, out["postgresql"].value, t)
    errors = [out[n].error for n in ("sqlite", "postgresql")]
    if errors[0] is None and errors[1] is None:
        return value, None
    null = sa.type_coerce(sa.null(), sa.Text())
    error = ByDialect(
        errors[0] if errors[0] is not None else null,
        errors[1] if errors[1] is not None else null,
        sa.Text(),
    )
    return value, error


#: Per catalogue snapshot, per formula field: its SQL over its own table for one day (and
#: zone offset) of the clock. Compiling a formula costs far more than running it once it
#: reads through relations or sub-forms (``SUM({明细.金额})`` compiles the rows' formula
#: too), and a record read compiles its formula fields each time. A formula reading the time
#: of day (NOW()) is compiled each time.
_FIELD_SQL: WeakKeyDictionary[Catalog, dict[int, tuple[Any, tuple[Any, Any]]]] = WeakKeyDictionary()


def formula_field_expression(
    catalog: Catalog, schema: TableSchema, f: Field, source: Any = None, clock: Clock | None = None
) -> tuple[Any, Any]:
    if source is not None and source is not schema.sa_table:
        return _field_expression(catalog, schema, f, source, clock)
    env = environment(catalog, clock)
    day = (env.today, env.utc_offset)
    kept = _FIELD_SQL.setdefault(catalog, {})
    hit = kept.get(f.id)
    if hit is not None and hit[0] == day:
        return hit[1]
    _, times = clock_reads()
    out = _field_expression(catalog, schema, f, None, clock)
    if clock_reads()[1] == times:
        kept[f.id] = (day, out)
    return out


def _field_expression(
    catalog: Catalog, schema: TableSchema, f: Field, source: Any, clock: Clock | None
) -> tuple[Any, Any]:
    try:
        formula = Formula.compile(f.options["formula"], CatalogResolver(catalog, schema))
        return formula_compiled(catalog, schema, formula, source, clock)
    except FormulaError:
        # A field it used is gone (its table was deleted): the formula reads as blank rather
        # than making every read of the table fail.
        t = SA_TYPES.get(f.options.get("result_type", "text"), sa.Text())
        return sa.type_coerce(sa.null(), t), None


def formula_display(
    catalog: Catalog, schema: TableSchema, f: Field, source: Any = None, clock: Clock | None = None
) -> Any:
    """The value a record shows: the error code, or the value as text (see ``FormulaType``)."""
    value, error = formula_field_expression(catalog, schema, f, source, clock)
    if not isinstance(value, ByDialect):
        return sa.type_coerce(sa.null(), sa.Text())
    kind = f.options.get("result_type", "text")
    shown = ByDialect(
        _as_text(value.sqlite, kind, "sqlite"),
        _as_text(value.postgresql, kind, "postgresql"),
        sa.Text(),
    )
    if error is None:
        return shown
    return sa.func.coalesce(error, shown, type_=sa.Text())


def _as_text(v: Any, kind: str, dialect: str) -> Any:
    pg = dialect == "postgresql"
    if kind in ("number", "duration"):
        return sa.cast(sa.cast(v, sa.Numeric()), sa.Text()) if pg else sa.func.cairn_text(v)
    if kind == "boolean":
        return sa.case((v, "TRUE"), (sa.not_(v), "FALSE"), else_=None)
    if kind == "date":
        return sa.func.to_char(v, "YYYY-MM-DD") if pg else v
    if kind == "datetime":
        return sa.func.to_char(v, "YYYY-MM-DD HH24:MI:SS") if pg else v
    return sa.type_coerce(v, sa.Text())


# -- saving a formula: names ↔ ids --------------------------------------------------------
def canonical(
    catalog: Catalog, schema: TableSchema, text: str, location: str
) -> tuple[str, Formula, list[int]]:
    """(the formula with ``{#id}`` references, the checked formula, the field ids it uses)."""
    resolver = CatalogResolver(catalog, schema)
    formula = Formula.compile(text, resolver, location=location)
    uses: list[int] = []

    def to_id(name: str) -> str:
        f = find_field(schema, name)
        if f is not None:
            uses.append(f.id)
            return f"#{f.id}"
        head, _, tail = name.partition(".")
        rel = find_field(schema, head.strip())
        assert rel is not None and rel.reached_table_id is not None
        target = catalog.schema(rel.reached_table_id)
        tf = find_field(target, tail.strip())
        assert tf is not None
        uses.extend([rel.id, tf.id])
        return f"#{rel.id}.#{tf.id}"

    tree = rename_fields(formula.tree, to_id)
    return to_text(tree), formula, list(dict.fromkeys(uses))


def shown_text(catalog: Catalog, schema: TableSchema, stored: str) -> str:
    """A saved formula with keys in place of ``#id`` (what users and packages read)."""
    try:
        tree = parse(stored)
    except FormulaError:
        return stored

    def to_key(name: str) -> str:
        parts = []
        current = schema
        for piece in name.split("."):
            f = find_field(current, piece) if current is not None else None
            if f is None:
                parts.append(piece)
                continue
            parts.append(f.key)
            reached = f.reached_table_id if f.reaches_rows else None
            current = catalog.schemas.get(reached) if reached else None
        return ".".join(parts)

    return to_text(rename_fields(tree, to_key))
