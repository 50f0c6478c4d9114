"""A table's shape without a database (what ``cairn.meta`` reads of a ``TableSchema``): its
fields, their types, by id and by key; fields in the recycle bin are left out of the lookups."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cairn.meta import Field, Table, builtin_field_types

TYPES = builtin_field_types()

#: (key, name, type, options) of a field.
Spec = tuple[str, str, str, dict[str, Any]]


@dataclass
class Shape:
    table: Table
    fields: list[Field]
    types: dict[int, Any] = field(default_factory=dict)
    by_id: dict[int, Field] = field(default_factory=dict)
    by_key: dict[str, Field] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id = {f.id: f for f in self.fields if f.deleted_at is None}
        self.by_key = {f.key: f for f in self.fields if f.deleted_at is None}
        self.types = {f.id: TYPES.get(f.type) for f in self.fields}


def shape_of(
    specs: list[Spec], layout: dict[str, Any] | None = None, deleted: tuple[str, ...] = ()
) -> Shape:
    """Fields 1, 2, … of ``specs`` (options checked as the services check them; a formula's
    as given), the table's stored ``layout``, the fields of ``deleted`` in the recycle bin."""
    fields = []
    for i, (key, name, type_key, options) in enumerate(specs, start=1):
        opts = options if type_key == "formula" else TYPES.get(type_key).validate_options(options)
        gone = datetime(2026, 1, 1) if key in deleted else None
        fields.append(
            Field(
                id=i, table_id=1, key=key, name=name, type=type_key, options=opts, deleted_at=gone
            )
        )
    return Shape(Table(id=1, app_id=1, key="t", name="T", layout=layout), fields)
