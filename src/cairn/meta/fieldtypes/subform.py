"""Sub-form (子表单): a list of rows with typed columns of their own, edited inside the parent
record (quote lines, a checklist, passengers).

The rows live in a real child table ``t_<id>`` (a user table flagged by ``parent_field_id``,
``options.table_id`` here) with the system columns ``parent_id`` (the parent record) and
``position`` (the order), so they can be filtered and reported on like any records. Its
columns are ordinary fields of that table (any type but a sub-form), managed with the field
API on it. The parent record's value is the rows in order, ``[{"id": 7, "<column key>": …}]``;
a write sends the whole list (``cairn.store.subforms`` says how it is written).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField

from cairn.meta.fieldtypes.base import BadValue, Coercer, FieldContext, FieldType
from cairn.meta.model import Field

#: Rows one sub-form value may hold.
MAX_ROWS = 500
#: Columns (fields) a sub-form's table may have.
MAX_COLUMNS = 50


class SubformOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: The table holding the rows (set when the field is created).
    table_id: int | None = None
    max_rows: int = PField(default=MAX_ROWS, ge=1, le=MAX_ROWS)
    #: The keys of the columns totalled under the rows (number, currency and number formula
    #: columns; ``cairn.services.subforms`` checks them against the rows' table). None: the
    #: default, currency and number formula columns.
    totals: list[str] | None = PField(default=None, max_length=MAX_COLUMNS)


class SubformType(FieldType):
    key = "subform"
    derived_from = "subform"
    holds_rows = True
    value_type = "json"
    Options: ClassVar = SubformOptions
    stored = False
    sortable = False
    supports_unique = False
    groupable = False
    #: Filter the rows' own table instead (its fields, ``parent_id``).
    operators = frozenset()

    def validate_options(self, raw: dict[str, Any] | None, previous: Field | None = None) -> dict:
        out = super().validate_options(raw, previous)
        return {k: v for k, v in out.items() if k != "totals" or v is not None}

    def coercer(self, field: Field, ctx: FieldContext) -> Coercer:
        """Input → the list of rows as sent (at most ``max_rows``); each row's cells are
        coerced by the store with the fields of the rows' table."""
        most = int(field.options.get("max_rows") or MAX_ROWS)

        def coerce(value: Any) -> list[Any]:
            if value is None or value == "":
                return []
            if not isinstance(value, list):
                raise BadValue("subform.rows")
            if len(value) > most:
                raise BadValue("subform.too_many_rows", max=most)
            return list(value)

        return coerce

    def convertible_from(self, source: FieldType) -> bool:
        return False


def register(registry: Any) -> None:
    registry.register(SubformType())
