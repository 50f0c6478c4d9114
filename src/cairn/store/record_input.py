"""A records write's input: each item coerced into column values and links (every error
collected, keyed ``records.<i>.<field>`` in a batch), defaults filled, required fields checked."""

from __future__ import annotations

from copy import copy, deepcopy
from typing import Any

from cairn.core import Conflict, FieldErrors, Message, NotFound
from cairn.meta import BadValue, Field, is_blank
from cairn.meta.values import json_value
from cairn.store.catalog import TableSchema
from cairn.store.sensitive import sealed

SYSTEM_INPUT_KEYS = frozenset(
    {"id", "version", "created_at", "updated_at", "created_by", "owner_id"}
)

#: Per field key: (field id, coercer, where it goes: COLUMN, LINKS or ROWS, writable).
Inputs = dict[str, tuple[int, Any, int, bool]]
#: Per writable field: (field, where it goes, filler for an absent value, whether there is a
#: filler).
CreatePlan = list[tuple[Field, int, Any, bool]]


#: Where a field's coerced input goes in ``Prepared``: its column, its links, its rows.
COLUMN, LINKS, ROWS = 0, 1, 2


class Prepared:
    """One record's coerced input: column values, relation links and sub-form rows (each
    row a ``Prepared`` of the rows' table, in list order, once ``store.subforms`` has
    coerced them; the list as sent until then)."""

    __slots__ = ("columns", "index", "links", "record_id", "rows", "version")

    def __init__(
        self, index: int, record_id: int | None = None, version: int | None = None
    ) -> None:
        self.index = index
        self.record_id = record_id
        self.version = version
        self.columns: dict[int, Any] = {}
        self.links: dict[int, list[int]] = {}
        self.rows: dict[int, list[Any]] = {}

    def value(self, field_id: int) -> Any:
        """The input for a field, wherever it goes (None when absent)."""
        for target in (self.columns, self.links, self.rows):
            if field_id in target:
                return target[field_id]
        return None

    def has(self, field_id: int) -> bool:
        return field_id in self.columns or field_id in self.links or field_id in self.rows


def prefix_of(single: bool, index: int) -> str:
    """Where an item's errors show: at the field for a single write, else under its index."""
    return "" if single else f"records.{index}."


def prepare(
    s: TableSchema, items: list[Any], errors: FieldErrors, single: bool
) -> tuple[list[Prepared], list[Prepared]]:
    """The creates (no ``id``) and the updates (``id`` and ``version``) of a write."""
    creates: list[Prepared] = []
    updates: list[Prepared] = []
    plan, inputs = create_plan(s), input_plan(s)
    for i, raw in enumerate(items):
        prefix = prefix_of(single, i)
        if not isinstance(raw, dict):
            errors.add(prefix.rstrip(".") or "body", Message("filter.shape"))
            continue
        if "id" in raw:
            p = prepare_update(s, raw, i, errors, prefix, inputs)
            if p is not None:
                updates.append(p)
        else:
            creates.append(prepare_create(s, raw, i, errors, prefix, plan, inputs))
    return creates, updates


def target_of(s: TableSchema, f: Field) -> int:
    """Where ``f``'s coerced input goes: COLUMN, LINKS or ROWS."""
    ft = s.types[f.id]
    return COLUMN if ft.stored else ROWS if ft.holds_rows else LINKS


def input_plan(s: TableSchema) -> Inputs:
    """Per field key, once per call: (field id, coercer, where it goes, writable)."""
    return {
        f.key: (f.id, s.coercers[f.id], target_of(s, f), s.types[f.id].writable) for f in s.fields
    }


def coerce_into(
    raw: dict[str, Any], p: Prepared, errors: FieldErrors, prefix: str, inputs: Inputs
) -> None:
    columns, links = p.columns, p.links
    for key, value in raw.items():
        entry = inputs.get(key)
        if entry is None:
            if key not in SYSTEM_INPUT_KEYS:
                errors.add(prefix + key, Message("field.unknown", {"key": key}))
            continue
        fid, coerce, where, writable = entry
        if not writable:
            errors.add(prefix + key, Message("field.read_only"))
            continue
        try:
            v = coerce(value)
        except BadValue as e:
            errors.add(prefix + key, e.message)
            continue
        if where == COLUMN:
            columns[fid] = v
        elif where == LINKS:
            links[fid] = v
        else:
            p.rows[fid] = v


def create_plan(s: TableSchema) -> CreatePlan:
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
        elif ft.starts_false:
            filler, has = False, True
        else:
            filler, has = None, False
        plan.append((f, target_of(s, f), filler, has))
    return plan


def prepare_create(
    s: TableSchema,
    raw: dict[str, Any],
    index: int,
    errors: FieldErrors,
    prefix: str,
    plan: CreatePlan,
    inputs: Inputs,
) -> Prepared:
    p = Prepared(index)
    coerce_into(raw, p, errors, prefix, inputs)
    targets = (p.columns, p.links, p.rows)
    for f, where, filler, has_filler in plan:
        target = targets[where]
        fid = f.id
        if fid in target:
            if not f.required:
                continue  # given: only the required check below would look at it
            value = target[fid]
        elif has_filler:
            value = target[fid] = (
                (deepcopy(filler) if where == ROWS else copy(filler))
                if isinstance(filler, list | dict)
                else filler
            )
        else:
            value = None
        if f.required and is_blank(value) and not errors.errors.get(prefix + f.key):
            errors.add(prefix + f.key, Message("field.required"))
    return p


def prepare_update(
    s: TableSchema,
    raw: dict[str, Any],
    index: int,
    errors: FieldErrors,
    prefix: str,
    inputs: Inputs,
) -> Prepared | None:
    rid, version = raw.get("id"), raw.get("version")
    if not isinstance(rid, int) or isinstance(rid, bool) or rid <= 0:
        errors.add(prefix + "id", Message("value.integer"))
        return None
    if not isinstance(version, int) or isinstance(version, bool):
        errors.add(prefix + "version", Message("record.version_required"))
        return None
    p = Prepared(index, rid, version)
    coerce_into(raw, p, errors, prefix, inputs)
    for f in s.fields:
        if f.required and p.has(f.id) and is_blank(p.value(f.id)):
            errors.add(prefix + f.key, Message("field.required"))
    return p


def check_updates_exist(
    updates: list[Prepared], before: dict[int, Any], errors: FieldErrors, single: bool
) -> None:
    """Each updated record is live (else not found) at the version the write names (else a
    conflict)."""
    for p in updates:
        row = before.get(p.record_id)  # type: ignore[arg-type]
        if row is None or row.deleted_at is not None:
            if single:
                raise NotFound("record.not_found", id=p.record_id)
            errors.add(
                prefix_of(single, p.index) + "id", Message("record.not_found", {"id": p.record_id})
            )
        elif row.version != p.version:
            raise Conflict("record.stale", expected=p.version, actual=row.version)


def shown(s: TableSchema, f: Field, v: Any) -> Any:
    """A coerced value as the API shows it (in messages)."""
    d = s.dumpers.get(f.id)
    return d(v) if d else v


def created_values(s: TableSchema, p: Prepared) -> dict[str, Any]:
    """A created record's values as the audit log keeps them: ``{key: [None, value]}``
    (a sensitive value as ``****``)."""
    values: dict[str, Any] = {}
    for fid, v in p.columns.items():
        if fid in s.sealers:
            values[s.by_id[fid].key] = [None, sealed(v)]
            continue
        d = s.dumpers.get(fid)
        values[s.by_id[fid].key] = [None, d(v) if d and v is not None else json_value(v)]
    for fid, v in p.links.items():
        values[s.by_id[fid].key] = [None, v]
    return values
