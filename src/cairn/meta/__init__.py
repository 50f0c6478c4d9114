"""The form engine's definitions: apps, tables, fields and the field-type registry (no database)."""

from cairn.core.i18n import register_messages
from cairn.meta.fieldtypes import (
    BadValue,
    FieldContext,
    FieldType,
    FieldTypeRegistry,
    builtin_field_types,
    is_blank,
    register_builtins,
)
from cairn.meta.fieldtypes.relations import junction_name, junction_sides
from cairn.meta.form_messages import MESSAGES as FORM_MESSAGES
from cairn.meta.key_messages import MESSAGES as KEY_MESSAGES
from cairn.meta.messages import MESSAGES
from cairn.meta.model import PUBLIC_SYSTEM_FIELDS, SYSTEM_COLUMNS, App, Field, Table
from cairn.meta.numbering import format_number, local_day, number_formatter, numbering_period
from cairn.meta.public_form_messages import MESSAGES as PUBLIC_FORM_MESSAGES

register_messages(MESSAGES)
register_messages(FORM_MESSAGES)
register_messages(KEY_MESSAGES)
register_messages(PUBLIC_FORM_MESSAGES)

__all__ = [
    "PUBLIC_SYSTEM_FIELDS",
    "SYSTEM_COLUMNS",
    "App",
    "BadValue",
    "Field",
    "FieldContext",
    "FieldType",
    "FieldTypeRegistry",
    "Table",
    "builtin_field_types",
    "format_number",
    "is_blank",
    "junction_name",
    "junction_sides",
    "local_day",
    "number_formatter",
    "numbering_period",
    "register_builtins",
]
