"""auto_number: a number assigned by the store when a record is created: a prefix and a
zero-padded sequence (TK-000123), or a pattern with date parts and a counter that restarts per
day, month or year (BJ-202703-0042; ``cairn.meta.numbering``)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField

from cairn.meta.fieldtypes.base import TEXT_OPS, Coercer, FieldContext, FieldType
from cairn.meta.model import Field
from cairn.meta.numbering import check_reset, parse_pattern


class AutoNumberOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prefix: str = PField(default="", max_length=20, pattern=r"^[^\s]*$")
    digits: int = PField(default=6, ge=1, le=12)
    start: int = PField(default=1, ge=0)
    #: With a pattern, prefix and digits are not used; ``start`` is each period's first number.
    pattern: str | None = None
    reset: Literal["never", "day", "month", "year"] = "never"


class AutoNumberType(FieldType):
    key = "auto_number"
    value_type = "text"
    sequenced = True
    Options: ClassVar = AutoNumberOptions
    operators = TEXT_OPS
    writable = False
    indexed = True

    def validate_options(self, raw: dict[str, Any] | None, previous: Field | None = None) -> dict:
        """Without a pattern the options are what they always were (no ``pattern``/``reset``
        keys), so existing definitions and app packages stay as they are."""
        out = super().validate_options(raw, previous)
        if out.get("pattern") is None:
            out.pop("pattern", None)
            out.pop("reset", None)
        return out

    def normalise_options(self, options: AutoNumberOptions, previous: Field | None) -> Any:
        pattern = options.pattern or None
        parsed = parse_pattern(pattern) if pattern is not None else None
        check_reset(parsed, options.reset)
        return options.model_copy(update={"pattern": pattern})

    def column_type(self, field: Field) -> sa.types.TypeEngine:
        return sa.String(40)

    def coercer(self, field: Field, ctx: FieldContext) -> Coercer:
        return lambda v: v

    def operand(self, field: Field, ctx: FieldContext) -> Coercer:
        return lambda v: str(v)

    def convertible_from(self, source: FieldType) -> bool:
        return False


def register(registry: Any) -> None:
    registry.register(AutoNumberType())
