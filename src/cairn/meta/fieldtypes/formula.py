"""The formula field: a value computed from other fields of the record by a formula.

Options as a user writes them: ``{"formula": "ROUND({price} * {qty}, 2)"}``. When the field is
saved the schema service type-checks the formula and stores it with field ids in place of
names (``{#12}``, ``{#7.#31}``), so renaming a field never breaks a formula; it also stores the
inferred ``result_type`` and the ids the formula ``uses`` (for cycle checks and for refusing to
delete a field a formula needs). The value is computed in SQL when records are read, so
filters and sorts on it are pushed down; the record shows an error value (``#DIV/0!``) as text.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField

from cairn.formula import ERRORS
from cairn.meta.fieldtypes.base import (
    DATE_OPS,
    ORDERED_OPS,
    TEXT_OPS,
    Coercer,
    Dumper,
    FieldContext,
    FieldType,
)
from cairn.meta.fieldtypes.dates import dump_datetime
from cairn.meta.model import Field

RESULT_TYPES = ("number", "text", "boolean", "date", "datetime", "duration", "blank")
#: The field type whose operators and operands a formula of each result type borrows.
OPERATOR_TYPES = {
    "number": "number",
    "duration": "number",
    "text": "text",
    "blank": "text",
    "boolean": "boolean",
    "date": "date",
    "datetime": "datetime",
}


def operator_stand_in(f: Field) -> Field:
    """The field a formula field's filters treat it as: one of the type its result type
    borrows (``OPERATOR_TYPES``), numbers with 8 decimals."""
    key = OPERATOR_TYPES.get(f.options.get("result_type", "text"), "text")
    return Field(
        id=f.id,
        table_id=f.table_id,
        key=f.key,
        name=f.name,
        type=key,
        options={"decimals": 8} if key == "number" else {},
    )


class FormulaOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    formula: str = PField(min_length=1, max_length=4000)
    result_type: Literal["number", "text", "boolean", "date", "datetime", "duration", "blank"] = (
        "blank"
    )
    uses: list[int] = PField(default_factory=list)
    #: How a number result is shown (grid, record page, sub-form grid, exports): a plain
    #: number, money (the currency's sign) or a percentage; none: as computed.
    format: Literal["number", "currency", "percent"] | None = None
    #: Decimal places shown with ``format`` (none: 2 for money, else as computed).
    decimals: int | None = PField(default=None, ge=0, le=8)
    #: The currency of ``format: currency``.
    currency: str | None = PField(default=None, pattern=r"^[A-Z]{3}$")


#: Display options stored only when set (existing definitions and packages stay as they were).
SHOWN_OPTIONS = ("format", "decimals", "currency")


def parse_shown(text: Any, result_type: str, tz: Any) -> Any:
    """The JSON value of a formula read as text (numbers to 15 digits, dates ISO)."""
    if text is None:
        return None
    if text in ERRORS:
        return text
    if result_type in ("number", "duration"):
        f = float(text)
        return int(f) if f.is_integer() and abs(f) < 2**53 else f
    if result_type == "boolean":
        return text in ("TRUE", "1", "true", 1, True)
    if result_type == "date":
        return date.fromisoformat(str(text)[:10]).isoformat()
    if result_type == "datetime":
        local = datetime.fromisoformat(str(text))
        return dump_datetime(local.replace(tzinfo=tz), tz)
    return text


class FormulaType(FieldType):
    key = "formula"
    derived_from = "formula"
    value_type = "formula"
    Options: ClassVar = FormulaOptions
    stored = False
    writable = False
    supports_unique = False
    sortable = True
    operators = ORDERED_OPS | TEXT_OPS | DATE_OPS

    def validate_options(self, raw: dict[str, Any] | None, previous: Field | None = None) -> dict:
        out = super().validate_options(raw, previous)
        return {k: v for k, v in out.items() if k not in SHOWN_OPTIONS or v is not None}

    def coercer(self, field: Field, ctx: FieldContext) -> Coercer:
        return lambda v: v

    def dumper(self, field: Field, ctx: FieldContext) -> Dumper | None:
        result_type = field.options.get("result_type", "text")
        tz = ctx.timezone
        return lambda v: parse_shown(v, result_type, tz)

    def convertible_from(self, source: FieldType) -> bool:
        return False


def register(registry: Any) -> None:
    registry.register(FormulaType())
