"""The field-type registry and the built-in types."""

from __future__ import annotations

from cairn.core import Registry
from cairn.meta.fieldtypes import (
    choices,
    contact,
    dates,
    files,
    formula,
    idkeys,
    misc,
    number,
    people,
    relations,
    subform,
    system,
    text,
)
from cairn.meta.fieldtypes.base import FieldType

FieldTypeRegistry = Registry[FieldType]


def register_builtins(registry: FieldTypeRegistry) -> FieldTypeRegistry:
    for family in (
        text,
        number,
        dates,
        choices,
        contact,
        idkeys,
        misc,
        people,
        files,
        relations,
        system,
        formula,
        subform,
    ):
        family.register(registry)
    return registry


def builtin_field_types() -> FieldTypeRegistry:
    return register_builtins(Registry[FieldType]("field type"))
