"""User: a platform member, stored as the user's id."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from cairn.meta.fieldtypes.base import BadValue, Coercer, FieldContext, FieldType
from cairn.meta.model import Field


def _user_id(value: Any) -> int:
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, bool):
        raise BadValue("value.user", value=value)
    if isinstance(value, str) and value.strip().isdecimal() and len(value.strip()) <= 19:
        value = int(value)  # isdecimal: int() takes every such text ("²" is a digit it refuses)
    if not isinstance(value, int) or not 0 < value < 2**63:
        raise BadValue("value.user", value=value)
    return value


class UserType(FieldType):
    key = "user"
    value_type = "user"
    operators = frozenset({"eq", "ne", "in", "not_in", "is_empty", "is_not_empty"})
    indexed = True
    supports_unique = False
    references = "user"

    def column_type(self, field: Field) -> sa.types.TypeEngine:
        return sa.BigInteger()

    def coercer(self, field: Field, ctx: FieldContext) -> Coercer:
        return lambda v: None if v is None or v == "" else _user_id(v)

    def convertible_from(self, source: FieldType) -> bool:
        return source.key == "user"


def register(registry: Any) -> None:
    registry.register(UserType())
