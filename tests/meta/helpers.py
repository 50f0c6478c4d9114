"""Builders for field-type tests: a field as a user configures it, and its coercer and dumper."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cairn.meta import BadValue, Field, FieldContext, FieldType, builtin_field_types

TYPES = builtin_field_types()
SHANGHAI = ZoneInfo("Asia/Shanghai")
CTX = FieldContext(timezone=SHANGHAI)


def make_field(
    type_key: str, options: dict[str, Any] | None = None, *, previous: Field | None = None
) -> Field:
    """A field whose options went through ``validate_options``, as the services layer saves it."""
    checked = TYPES.get(type_key).validate_options(options, previous)
    return Field(id=1, table_id=1, key="x", name="X", type=type_key, options=checked)


@dataclass(frozen=True)
class Cell:
    """One field bound to a context: what the API does with a value written and read back."""

    field: Field
    type: FieldType
    coerce: Callable[[Any], Any]
    dump: Callable[[Any], Any]

    def read(self, value: Any) -> Any:
        """The JSON a client reads after writing ``value``."""
        return self.dump(self.coerce(value))

    def error(self, value: Any) -> BadValue:
        with pytest.raises(BadValue) as caught:
            self.coerce(value)
        return caught.value

    def error_key(self, value: Any) -> str:
        return self.error(value).message.key


def cell(type_key: str, ctx: FieldContext = CTX, **options: Any) -> Cell:
    return bind(make_field(type_key, options), ctx)


def bind(field: Field, ctx: FieldContext = CTX) -> Cell:
    ft = TYPES.get(field.type)
    dumper = ft.dumper(field, ctx)
    return Cell(field, ft, ft.coercer(field, ctx), dumper or (lambda v: v))
