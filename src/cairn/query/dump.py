"""Rows of a record table as JSON objects: one page's columns dumped column by column, linked
records and files read once for the page, masked fields masked by the caller's rule."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from functools import partial
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from cairn.core import FieldErrors, Invalid, Message
from cairn.meta import Field
from cairn.meta.fieldtypes.dates import dump_datetimes
from cairn.meta.values import dump_time, identity, json_value
from cairn.query.subforms import row_counts, rows_of
from cairn.store import Catalog, TableSchema, records
from cairn.store import files as store_files
from cairn.store.record_input import SYSTEM_INPUT_KEYS

#: Reads linked records for ``expand``: (their table, ids) → the records as the reader sees them.
ReadRows = Callable[[TableSchema, list[int]], list[dict[str, Any]]]


class RowDump:
    """How one reader's pages become JSON: ``masked(schema)`` names the fields shown to them
    through ``mask``; ``read`` reads the records an ``expand`` names (their row scope applies).

    A sub-form field shows its rows (``[{"id", <column key>: value …}]``, in order, each value
    as a record shows it), read for the whole page in one query per field; with
    ``row_counts`` (a page of a grid) it shows how many rows there are instead, unless the
    page expands it."""

    def __init__(
        self,
        conn: sa.Connection,
        catalog: Catalog,
        timezone: Any,
        *,
        masked: Callable[[TableSchema], Collection[int]],
        mask: Callable[[Any], Any],
        read: ReadRows,
        clock: Any = None,
        row_counts: bool = False,
    ) -> None:
        self.conn = conn
        self.catalog = catalog
        self.timezone = timezone
        self.masked = masked
        self.mask = mask
        self.read = read
        self.clock = clock
        self.row_counts = row_counts

    def rows(
        self,
        s: TableSchema,
        rows: Sequence[Any],
        selected: Sequence[Field],
        expand: Sequence[str] = (),
        system: bool = True,
    ) -> list[dict[str, Any]]:
        """The rows as objects; ``system=False``: their ``id`` and fields only (a sub-form's
        rows)."""
        if not rows:
            return []
        cat, tz = self.catalog, self.timezone
        position = {name: i for i, name in enumerate(rows[0]._fields)}

        def column(name: str) -> list[Any]:
            """One column of the rows (a C-level map)."""
            return list(map(itemgetter(position[name]), rows))

        ids = column("id")
        links: dict[int, dict[int, list[int]]] = {}
        for f in selected:
            if f.is_relation and ids:
                links[f.id] = records.read_links(self.conn, cat, f, ids)
        expanded: dict[int, dict[int, dict[str, Any]]] = {}
        for key in expand:
            f = s.by_key[key]
            if f.is_subform:
                continue
            if f.id not in links:
                links[f.id] = records.read_links(self.conn, cat, f, ids)
            targets = sorted({t for ts in links[f.id].values() for t in ts})
            ts = cat.schema(f.options["target_table_id"])
            expanded[f.id] = {r["id"]: r for r in self.read(ts, targets)} if targets else {}
        files = attached_files(self.conn, rows, [f for f in selected if f.holds_files])
        # Built column by column, then zipped into objects.
        keys = ["id"]
        columns: list[list[Any]] = [ids]
        if system:
            keys += ["version", "created_at", "updated_at"]
            created, updated = column("created_at"), column("updated_at")
            created_text = dump_datetimes(created, tz)
            columns += [
                column("version"),
                created_text,
                [
                    c if u == v else dump_time(u, tz)
                    for u, v, c in zip(updated, created, created_text, strict=True)
                ],
            ]
        masked = self.masked(s)
        for f in selected:
            keys.append(f.key)
            if f.is_relation:
                columns.append(relation_values(f, ids, links[f.id], expanded.get(f.id)))
            elif f.is_subform:  # its rows' cells are masked as they are dumped
                columns.append(self.subform_values(s, f, ids, f.key in expand))
                continue
            else:
                values = column(f.column_name) if f.column_name in position else None
                columns.append(column_values(cat, s, f, values, files, len(rows), tz))
            if f.id in masked:  # shown masked to this reader: the whole column at once
                columns[-1] = list(map(self.mask, columns[-1]))
        return list(map(dict, map(partial(zip, keys), zip(*columns, strict=True))))

    def subform_values(self, s: TableSchema, f: Field, ids: list[int], expanded: bool) -> list[Any]:
        """A sub-form field's values of a page: each record's rows (or their count)."""
        child = s.subforms.get(f.id)
        if child is None:
            return [[] for _ in ids]
        if self.row_counts and not expanded:
            counts = row_counts(self.conn, child, ids)
            return [counts.get(i, 0) for i in ids]
        per = rows_of(self.conn, self.catalog, child, ids, clock=self.clock)
        found = [r for i in ids for r in per.get(i, ())]
        dumped = iter(self.rows(child, found, child.fields, system=False))
        return [[next(dumped) for _ in per.get(i, ())] for i in ids]


def column_values(
    cat: Catalog,
    s: TableSchema,
    f: Field,
    values: list[Any] | None,
    files: dict[str, Any],
    count: int,
    timezone: Any,
) -> list[Any]:
    """One field's values of a page (None: the page did not select its column), as JSON
    values."""
    dump = field_dumper(cat, s, f) or (identity if s.types[f.id].dumps_as_is else json_value)
    if f.holds_files:
        dump = _with_files(dump, files)
    if values is None:
        return [dump(None)] * count
    if f.holds_datetime:
        return dump_datetimes(values, timezone)
    if dump is identity:
        return values
    return list(map(dump, values))


def relation_values(
    f: Field,
    ids: list[int],
    links: dict[int, list[int]],
    expanded: dict[int, dict[str, Any]] | None,
) -> list[Any]:
    """A relation field's values of a page: linked ids, or the linked records when expanded."""
    single = not f.options.get("multiple", True)
    out: list[Any] = []
    for rid in ids:
        linked = links.get(rid, [])
        value: Any = linked if expanded is None else [expanded[t] for t in linked if t in expanded]
        out.append((value[0] if value else None) if single else value)
    return out


def field_dumper(cat: Catalog, s: TableSchema, f: Field) -> Any:
    """How a field's value becomes JSON; a lookup shows its target field as that field would."""
    if not f.is_lookup:
        return s.dumpers.get(f.id)
    relation = s.by_id.get(f.options.get("relation_field_id", 0))
    target_field = cat.all_fields.get(f.options.get("target_field_id", 0))
    if relation is None or target_field is None:
        return None
    target = cat.schemas.get(target_field.table_id)
    inner = (target.dumpers.get(target_field.id) if target else None) or json_value
    if not relation.options.get("multiple", True):
        return lambda v: None if v is None else inner(v)

    def dump_many(v: Any) -> list[Any]:
        items = json.loads(v) if isinstance(v, str) else (v or [])
        return [None if x is None else inner(x) for x in items]

    return dump_many


def attached_files(
    conn: sa.Connection, rows: Sequence[Any], fields: Sequence[Field]
) -> dict[str, Any]:
    """Name, size and type of every file the page's attachment fields hold: one query."""
    ids: set[str] = set()
    for f in fields:
        for r in rows:
            v = r._mapping.get(f.column_name)
            if v:
                ids.update(json.loads(v))
    return store_files.describe(conn, ids)


def _with_files(dump: Any, files: dict[str, Any]) -> Any:
    """An attachment value: each file id with its name, size, type and address."""

    def show(v: Any) -> Any:
        ids = dump(v)
        return [files.get(i, {"id": i}) for i in ids] if ids else ids

    return show


def selected_fields(
    s: TableSchema, fields: Sequence[str] | None, visible: Sequence[Field]
) -> list[Field]:
    """The fields a page asks for (None: every visible one); an unknown or hidden key is
    refused, system columns are always there."""
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


def check_expand(s: TableSchema, expand: Sequence[str], visible: Sequence[Field]) -> None:
    """Only visible relation fields expand (to the linked records), and sub-form fields (to
    their rows, where a page shows their count)."""
    allowed = {f.key for f in visible}
    for k in expand:
        f = s.by_key.get(k) if isinstance(k, str) else None
        if f is None or not (f.is_relation or f.is_subform) or k not in allowed:
            raise Invalid.on("expand", "expand.field", field=k)
