"""The field-type registry: every built-in type under a stable key, clear errors otherwise."""

from __future__ import annotations

import pytest

from cairn.core import Registry, RegistryError
from cairn.meta import FieldType, builtin_field_types, register_builtins
from cairn.meta.fieldtypes.text import TextType

from .helpers import CTX, make_field

BUILTIN_KEYS = {
    "text", "long_text", "number", "currency", "percent", "rating", "date", "datetime",
    "single_select", "multi_select", "boolean", "email", "phone", "url", "location", "user",
    "attachment", "relation", "lookup", "rollup", "auto_number", "formula", "subform",
    "vin", "id_number", "credit_code",
}  # fmt: skip

#: Options a type cannot do without; every other type takes {}.
REQUIRED_OPTIONS = {
    "relation": {"target_table_id": 2},
    "lookup": {"relation_field_id": 1, "target_field_id": 2},
    "rollup": {"relation_field_id": 1},
    "formula": {"formula": "1 + 1"},
}


def test_builtin_keys() -> None:
    assert set(builtin_field_types().keys()) == BUILTIN_KEYS


def test_each_type_is_found_by_its_key() -> None:
    types = builtin_field_types()
    for key in BUILTIN_KEYS:
        assert types.get(key).key == key
        assert key in types
        assert types.get(key).label_key() == f"type.{key}"


def test_unknown_key_is_a_clear_error() -> None:
    with pytest.raises(RegistryError, match="field type: unknown key 'colour'"):
        builtin_field_types().get("colour")
    assert "colour" not in builtin_field_types()


def test_duplicate_key_is_a_clear_error() -> None:
    types = builtin_field_types()
    with pytest.raises(RegistryError, match="key 'text' is already registered"):
        types.register(TextType())


def test_registering_the_builtins_twice_fails() -> None:
    with pytest.raises(RegistryError):
        register_builtins(builtin_field_types())


def test_a_type_without_a_key_is_refused() -> None:
    class Nameless(FieldType):
        pass

    with pytest.raises(RegistryError, match="Nameless has no key"):
        Registry[FieldType]("field type").register(Nameless())


def test_each_call_builds_a_fresh_registry() -> None:
    first = builtin_field_types()
    first.register(type("Colour", (TextType,), {"key": "colour"})())
    assert "colour" not in builtin_field_types()


@pytest.mark.parametrize("key", sorted(BUILTIN_KEYS))
def test_every_type_takes_its_default_options_and_builds_a_coercer(key: str) -> None:
    ft = builtin_field_types().get(key)
    field = make_field(key, REQUIRED_OPTIONS.get(key))
    assert ft.validate_options(field.options) == field.options  # normalising twice changes nothing
    ft.coercer(field, CTX)
    ft.dumper(field, CTX)
    if ft.stored:
        ft.column_type(field)
