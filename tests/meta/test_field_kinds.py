"""What kind of field a field is: asked of the field (or its type), never by comparing keys."""

from __future__ import annotations

import pytest

from cairn.meta import Field, builtin_field_types


def field(type_key: str) -> Field:
    return Field(id=1, table_id=1, key="f", name="F", type=type_key)


@pytest.mark.parametrize(
    ("type_key", "kinds"),
    [
        ("relation", {"is_relation"}),
        ("formula", {"is_formula"}),
        ("lookup", {"is_lookup", "reads_through_relation"}),
        ("rollup", {"is_rollup", "reads_through_relation"}),
        ("attachment", {"holds_files"}),
        ("user", {"holds_user"}),
        ("text", set()),
        ("number", set()),
    ],
)
def test_a_field_says_what_kind_it_is(type_key: str, kinds: set[str]) -> None:
    every = {
        "is_relation",
        "is_formula",
        "is_lookup",
        "is_rollup",
        "reads_through_relation",
        "holds_files",
        "holds_user",
    }
    f = field(type_key)
    assert {k for k in every if getattr(f, k)} == kinds


def test_only_auto_number_is_numbered_by_a_sequence() -> None:
    types = builtin_field_types()
    assert [t.key for t in types if t.sequenced] == ["auto_number"]
