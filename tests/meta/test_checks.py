"""Checks of definitions as users write them (no database)."""

from __future__ import annotations

import pytest

from cairn.core import Invalid
from cairn.meta import BadValue, Field, builtin_field_types
from cairn.meta.checks import (
    check_flags,
    check_key,
    display_updates,
    flag_updates,
    relation_pair,
    reverse_definition,
)
from cairn.meta.conversions import backup_key, convert_values, seen_choices

TYPES = builtin_field_types()


def test_keys_names_and_positions() -> None:
    assert check_key("customers") == "customers"
    with pytest.raises(Invalid):
        check_key("Not a key")
    assert display_updates({"name": " Customers ", "position": 2}) == {
        "name": "Customers",
        "position": 2,
    }
    with pytest.raises(Invalid):
        display_updates({"position": True})


def test_flags_as_the_type_allows() -> None:
    text = TYPES.get("text")
    assert check_flags(text, {"unique": True})["unique"] is True
    with pytest.raises(Invalid):
        check_flags(TYPES.get("formula"), {"required": True})
    f = Field(id=1, table_id=1, key="x", name="X", type="text", unique=True)
    assert flag_updates(text, f, {"unique": True, "help_text": "?"}) == {"help_text": "?"}
    assert flag_updates(text, f, {"unique": False}) == {"is_unique": False}


def test_relation_pair_and_reverse_names() -> None:
    rel = Field(id=3, table_id=1, key="r", name="R", type="relation", options={"reverse_of": 7})
    assert relation_pair(rel) == [3, 7]
    assert relation_pair(Field(id=1, table_id=1, key="x", name="X", type="text")) == []
    assert reverse_definition({}, "orders", "Orders", {"orders"}) == ("orders_2", "Orders", True)
    with pytest.raises(Invalid):
        reverse_definition({"multiple": "yes"}, "orders", "Orders", set())


def test_conversion_values_and_backup_key() -> None:
    rows = [(1, "1"), (2, "x")]
    converted, failures = convert_values(rows, lambda v: v, int_or_fail, "number")
    assert converted == [{"rid": 1, "v": 1}]
    assert [x["id"] for x in failures] == [2]
    assert seen_choices([(1, ["a", "b"]), (2, "a")], lambda v: v) == [
        {"value": "a"},
        {"value": "b"},
    ]
    f = Field(id=1, table_id=1, key="x", name="X", type="text")
    assert backup_key([f, f.model_copy(update={"id": 2, "key": "x_text"})], f) == "x_text_2"


def int_or_fail(v: object) -> int:
    if not str(v).isdigit():
        raise BadValue("value.number")
    return int(str(v))
