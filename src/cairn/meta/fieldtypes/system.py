"""auto_number: a prefix and a zero-padded sequence (TK-000123), assigned by the store."""

from __future__ import annotations

from typing import Any, ClassVar

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField

from cairn.meta.fieldtypes.base import TEXT_OPS, Coercer, FieldContext, FieldType
from cairn.meta.model import Field


class AutoNumberOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prefix: str = PField(default="", max_length=20, pattern=r"^[^\s]*$")
    digits: int = PField(default=6, ge=1, le=12)
    start: int = PField(default=1, ge=0)


def format_number(options: dict[str, Any], n: int) -> str:
    return f"{options.get('prefix', '')}{n:0{options.get('digits', 6)}d}"


class AutoNumberType(FieldType):
    key = "auto_number"
    value_type = "text"
    sequenced = True
    Options: ClassVar = AutoNumberOptions
    operators = TEXT_OPS
    writable = False
    indexed = True

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
