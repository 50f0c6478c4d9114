"""What a lookup can be filtered by besides its blankness: the looked-up field's operators.

A lookup shows a stored field of the linked records (a ticket's status seen from its
customer). Filtering ``status = open`` through it selects the records with a linked live record
whose status is open: a correlated EXISTS over the junction and the target table
(``FilterCompiler.looked_up``), which the database runs as a semi-join from their indexes. A
lookup of a computed field (a formula, another lookup, a rollup) keeps only ``is_empty`` /
``is_not_empty``: its value has no column an index could serve.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cairn.meta import Field, FieldContext, FieldType
from cairn.meta.fieldtypes.base import EMPTY_OPS
from cairn.query.operators import Linked
from cairn.store.catalog import TableSchema

#: Operators a lookup takes on its looked-up value (besides the target type's own list),
#: with ``ne`` / ``not_in`` meaning "no linked value equal to / among".
VALUE_OPS = frozenset(
    {
        "eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte", "between", "contains",
        "starts_with", "today", "yesterday", "last_n_days", "next_n_days", "this_week",
        "this_month", "this_year",
    }
)  # fmt: skip


@dataclass(frozen=True)
class LookupTarget:
    """The looked-up field of a lookup, on its own table."""

    schema: TableSchema
    field: Field
    field_type: FieldType

    @property
    def operators(self) -> frozenset[str]:
        """The value operators the target's type offers (blank tests are the lookup's own)."""
        return (self.field_type.operators & VALUE_OPS) - EMPTY_OPS

    @property
    def value_type(self) -> str:
        return self.field_type.value_type

    @property
    def sensitive(self) -> bool:
        return bool(self.field.sensitive and self.field.id in self.schema.sealers)

    @property
    def indexed(self) -> bool:
        """Whether an index on the target field is worth learning. Through a lookup the target
        table may drive the semi-join (a rare status: its few matching rows, then their
        links), and no page limit bounds a scan of it, so a choice of few values earns the
        index here that it does not on its own table; a checkbox (two values) still does not."""
        ft = self.field_type
        return bool(ft.stored and ft.sortable and ft.value_type != "boolean")

    @property
    def column(self) -> str:
        return self.field.column_name

    def operand(self, ctx: FieldContext) -> Callable[[Any], Any]:
        return self.field_type.operand(self.field, ctx)


def lookup_target(linked: Linked) -> LookupTarget | None:
    """The stored field a lookup shows, or None (not a lookup, a computed target)."""
    if linked.target is None:
        return None
    schema, field = linked.target
    ft = schema.types.get(field.id)
    if ft is None or not ft.stored or field.is_computed or field.is_formula:
        return None
    return LookupTarget(schema, field, ft)
