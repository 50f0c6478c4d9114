"""Field types: one class per type, in families; see base.FieldType for the contract."""

from cairn.meta.fieldtypes.base import BadValue, FieldContext, FieldType, is_blank
from cairn.meta.fieldtypes.registry import FieldTypeRegistry, builtin_field_types, register_builtins

__all__ = [
    "BadValue",
    "FieldContext",
    "FieldType",
    "FieldTypeRegistry",
    "builtin_field_types",
    "is_blank",
    "register_builtins",
]
