"""Sub-form fields as definitions: creating one creates the table of its rows (a user table
flagged with ``parent_field_id``, not listed on its own but reachable by its key for its
fields, reports and filters); the limits on what that table may hold; and what deleting or
restoring the field or its tables must respect."""

from __future__ import annotations

from typing import Any

from cairn.core import Invalid
from cairn.meta import Field
from cairn.meta.checks import check_key
from cairn.meta.fieldtypes.subform import MAX_COLUMNS
from cairn.query.dependents import table_users
from cairn.services.uow import UnitOfWork
from cairn.store import TableSchema, ddl, system


def check_new_field(s: TableSchema, holds_rows: bool) -> None:
    """A sub-form's table takes any field but another sub-form, up to ``MAX_COLUMNS``."""
    if s.parent is None:
        return
    if holds_rows:
        raise Invalid.on("type", "subform.nested")
    if len(s.fields) >= MAX_COLUMNS:
        raise Invalid.on("type", "subform.too_many_columns", max=MAX_COLUMNS)


def rows_table_key(uow: UnitOfWork, s: TableSchema, field_key: str, raw: dict[str, Any]) -> str:
    """The key of the table a new sub-form field's rows go to: ``options.table`` when given
    (an app package names it), else ``<table key>_<field key>`` (numbered when taken).
    Removes ``table`` from ``raw``."""
    taken = {t.table.key for t in uow.catalog.tables_of(s.app.id)}
    wanted = raw.pop("table", None)
    if wanted is not None:
        key = check_key(wanted, "options.table")
        if key in taken:
            raise Invalid.on("options.table", "key.taken", key=key)
        return key
    base = f"{s.table.key}_{field_key}"[:60]
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def create_rows_table(uow: UnitOfWork, s: TableSchema, f: Field, key: str) -> int:
    """The table of sub-form field ``f``'s rows, named after the field; returns its id."""
    table_id = uow.insert_definition(
        system.tables,
        app_id=s.app.id,
        key=key,
        name=f.name,
        description="",
        position=len(uow.catalog.tables_of(s.app.id)),
        created_at=uow.now,
        updated_at=uow.now,
        parent_field_id=f.id,
    )
    ddl.create_record_table(uow.conn, table_id, parent_id=s.id)
    uow.update_definitions(system.fields, f.id, options={**f.options, "table_id": table_id})
    return table_id


def new_options(uow: UnitOfWork, f: Field, raw: dict[str, Any]) -> dict[str, Any]:
    """A sub-form field's options after a change of them: only ``max_rows`` and ``totals``
    change (``totals``: columns of its rows' table that can be totalled)."""
    out = {**f.options, **{k: v for k, v in raw.items() if k in ("max_rows", "totals")}}
    totals = out.get("totals")
    if isinstance(totals, list) and f.options.get("table_id"):
        check_totals(uow.catalog.schema(f.options["table_id"]), totals)
    return out


def totalled(col: Field) -> bool:
    """A column whose values add up: a number, money, or a formula giving a number."""
    if col.is_formula:
        return col.options.get("result_type") == "number"
    return col.holds_number


def check_new_totals(totals: Any) -> None:
    """A new sub-form has no columns yet: its totals are set once they exist."""
    if isinstance(totals, list) and totals:
        raise Invalid.on("options.totals", "subform.total_column", column=str(totals[0]))


def check_totals(rows: TableSchema, totals: list[Any]) -> None:
    """Each key of ``totals`` names a column of the rows' table that can be totalled."""
    for key in totals:
        col = rows.by_key.get(key) if isinstance(key, str) else None
        if col is None or not totalled(col):
            raise Invalid.on("options.totals", "subform.total_column", column=str(key))


def rows_users(cat: Any, s: TableSchema, fields: list[Field] | None = None) -> list[str]:
    """What points at the rows' tables of ``s``'s sub-form fields (``fields``: those only):
    relation fields of other tables (a row's relation's reverse side). Those would lose
    their target if the sub-form went."""
    users: list[str] = []
    for fid, child in s.subforms.items():
        if fields is None or any(f.id == fid for f in fields):
            users += table_users(cat, child)
    return users


def refuse_table_change(s: TableSchema, what: str) -> None:
    """A sub-form's table comes and goes with its field: it is not deleted on its own."""
    if s.parent is not None and s.parent_field is not None:
        raise Invalid.on(
            "table",
            f"subform.table_{what}",
            table=s.parent.table.name,
            field=s.parent_field.name,
        )


def check_restorable(uow: UnitOfWork, f: Field) -> None:
    """A sub-form field comes back with its rows' table, whose key must still be free."""
    table_id = f.options.get("table_id")
    t = uow.catalog.all_tables.get(int(table_id)) if table_id else None
    if t is None:
        return
    if any(x.table.key == t.key for x in uow.catalog.tables_of(t.app_id)):
        raise Invalid.on("key", "key.taken", key=t.key)
