"""Apps, tables and fields: the form engine's definitions, as plain Pydantic models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField


class Meta(BaseModel):
    model_config = ConfigDict(frozen=True)


class App(Meta):
    id: int
    key: str
    name: str
    description: str = ""
    position: int = 0
    created_at: datetime | None = None
    deleted_at: datetime | None = None


class Field(Meta):
    id: int
    table_id: int
    key: str
    name: str
    type: str
    options: dict[str, Any] = PField(default_factory=dict)
    required: bool = False
    unique: bool = False
    default: Any = None
    help_text: str = ""
    position: int = 0
    deleted_at: datetime | None = None

    @property
    def column_name(self) -> str:
        return f"f_{self.id}"

    @property
    def sensitive(self) -> bool:
        """Encrypted at rest, with a blind index for equality (``options.sensitive``)."""
        return bool(self.options.get("sensitive"))

    @property
    def index_column_name(self) -> str:
        """The blind-index column of a sensitive field."""
        return f"f_{self.id}_bi"

    # What kind of field this is. Code outside ``meta`` asks these (or the field type's
    # flags) instead of comparing type keys as strings.
    @property
    def is_relation(self) -> bool:
        """Links records of another table (``options.target_table_id``)."""
        return self.type == "relation"

    @property
    def is_formula(self) -> bool:
        """Computed from a formula over the record (``options.formula``)."""
        return self.type == "formula"

    @property
    def is_lookup(self) -> bool:
        """Shows a field of the records a relation links."""
        return self.type == "lookup"

    @property
    def is_rollup(self) -> bool:
        """Aggregates a field of the records a relation links."""
        return self.type == "rollup"

    @property
    def reads_through_relation(self) -> bool:
        """A lookup or a rollup: its value comes through ``options.relation_field_id``."""
        return self.type in ("lookup", "rollup")

    @property
    def is_subform(self) -> bool:
        """Holds rows of its own table (``options.table_id``): a sub-form."""
        return self.type == "subform"

    @property
    def reaches_rows(self) -> bool:
        """A relation or a sub-form: lookups, rollups and ``{field.column}`` in formulas read
        the records (the rows) it reaches, in ``reached_table_id``."""
        return self.type in ("relation", "subform")

    @property
    def reached_table_id(self) -> int | None:
        """The table a relation links into, or the table of a sub-form's rows."""
        v = self.options.get("table_id" if self.type == "subform" else "target_table_id")
        return int(v) if v else None

    @property
    def is_computed(self) -> bool:
        """A formula, a lookup or a rollup: no column, its value is computed when read."""
        return self.type in ("formula", "lookup", "rollup")

    @property
    def holds_datetime(self) -> bool:
        """Holds a point in time (a timestamp), dumped in the installation's time zone."""
        return self.type == "datetime"

    @property
    def holds_number(self) -> bool:
        """Stores a number or an amount of money (``number``, ``currency``), not a computed one."""
        return self.type in ("number", "currency")

    @property
    def is_single_select(self) -> bool:
        """Holds one of its ``options.choices``."""
        return self.type == "single_select"

    @property
    def is_multi_select(self) -> bool:
        """Holds several of its ``options.choices``."""
        return self.type == "multi_select"

    @property
    def holds_percent(self) -> bool:
        """Holds a fraction shown as a percent (50 % is stored as 0.5)."""
        return self.type == "percent"

    @property
    def holds_files(self) -> bool:
        """Holds attachments (file ids)."""
        return self.type == "attachment"

    @property
    def holds_user(self) -> bool:
        """Holds a user id."""
        return self.type == "user"


class Table(Meta):
    id: int
    app_id: int
    key: str
    name: str
    description: str = ""
    display_field_id: int | None = None
    position: int = 0
    deleted_at: datetime | None = None
    #: Formulas a record must satisfy to be saved (``{#id}`` references), with the message
    #: shown when it does not: ``[{"formula", "message", "field", "uses"}]``.
    validation_rules: list[dict[str, Any]] | None = None
    #: The form layout, with field ids: ``{"sections": [{"title", "collapsed", "rows"}]}``,
    #: each row a list of 1 to 3 cells (a field id, or None for an empty cell). None: the
    #: default layout (one section, one field per row).
    layout: dict[str, Any] | None = None
    #: Set on the table holding the rows of a sub-form field: that field's id. Its records
    #: carry ``parent_id`` and ``position``; they are read and written through the parent.
    parent_field_id: int | None = None

    @property
    def sql_name(self) -> str:
        return f"t_{self.id}"


SYSTEM_COLUMNS = (
    "id",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "owner_id",
    "version",
    "deleted_at",
)

#: System columns a record shows and a query may filter or sort on.
PUBLIC_SYSTEM_FIELDS = ("id", "version", "created_at", "updated_at", "created_by", "owner_id")
