"""The checks of a records write that reach into its sub-forms' rows: what the rows name
(linked records, users, files), their unique values and their table's validation rules, each
error shown at ``<field>.<row index>.<column>``; and the writes refused because a sub-form's
rows are written through their parent only."""

from __future__ import annotations

from typing import Any

from cairn.core import Clock, FieldErrors, Invalid, Message
from cairn.query.validation import check_rules
from cairn.services.record_checks import check_references
from cairn.services.uow import UnitOfWork
from cairn.store import Catalog, TableSchema
from cairn.store.record_input import Prepared, prefix_of
from cairn.store.subforms import SubformWrite
from cairn.store.unique import check_unique


def refuse_rows_table(s: TableSchema) -> None:
    """The records of a sub-form's table are written through their parent record (its
    sub-form field): not on their own."""
    if s.parent is not None and s.parent_field is not None:
        raise Invalid.on(
            "table",
            "subform.through_parent",
            table=s.parent.table.name,
            field=s.parent_field.name,
        )


def refuse_row_links(
    cat: Catalog, s: TableSchema, items: list[Prepared], errors: FieldErrors, single: bool
) -> None:
    """A relation of ``s`` to a sub-form's table (the reverse side of a row's relation)
    would change those rows' links: refused, as writing the rows directly is."""
    for f in s.fields:
        if not f.is_relation or not any(f.id in p.links for p in items):
            continue
        target = cat.schemas.get(int(f.options.get("target_table_id") or 0))
        if target is None or target.parent is None:
            continue
        for p in items:
            if f.id in p.links:
                errors.add(
                    prefix_of(single, p.index) + f.key,
                    Message("subform.row_links", {"table": target.table.name}),
                )


def check_rows(uow: UnitOfWork, sub: SubformWrite, errors: FieldErrors) -> None:
    """What the rows name exists and may be used, and their unique values are free (one
    query per column for the whole write, as for records)."""
    for child, rows in sub.tables():
        found = FieldErrors()
        current = sub.current(child)
        check_references(uow, child, rows, found, False, current)
        # Rows the write removes give up their values first.
        check_unique(uow.conn, child, rows, found, False, sub.removed_ids(child))
        sub.relocate(child, errors, found)


def check_row_rules(uow: UnitOfWork, sub: SubformWrite, clock: Clock) -> None:
    """The validation rules of the rows' tables, over the rows as written."""
    errors = FieldErrors()
    for child, rows in sub.tables():
        if not child.table.validation_rules:
            continue
        try:
            check_rules(uow.conn, uow.catalog, child, clock, _written(rows), False)
        except Invalid as e:
            sub.relocate(child, errors, e)
    errors.raise_if_any()


def _written(rows: list[Prepared]) -> list[Any]:
    return [r for r in rows if r.record_id is not None]
