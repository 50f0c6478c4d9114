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
        ("subform", {"is_subform"}),
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
        "is_subform",
    }
    f = field(type_key)
    assert {k for k in every if getattr(f, k)} == kinds


def test_only_auto_number_is_numbered_by_a_sequence() -> None:
    types = builtin_field_types()
    assert [t.key for t in types if t.sequenced] == ["auto_number"]


@pytest.mark.parametrize(
    ("type_key", "kinds"),
    [
        ("formula", {"is_computed"}),
        ("lookup", {"is_computed"}),
        ("rollup", {"is_computed"}),
        ("datetime", {"holds_datetime"}),
        ("date", set()),
        ("relation", set()),
        ("text", set()),
    ],
)
def test_computed_and_timestamp_fields_say_so(type_key: str, kinds: set[str]) -> None:
    f = field(type_key)
    assert {k for k in ("is_computed", "holds_datetime") if getattr(f, k)} == kinds


def test_only_a_checkbox_starts_false() -> None:
    assert [t.key for t in builtin_field_types() if t.starts_false] == ["boolean"]


def test_types_whose_column_a_filter_formula_compares_bare() -> None:
    kinds = {t.key: t.formula_column for t in builtin_field_types() if t.formula_column}
    assert kinds == {"number": "number", "currency": "number", "rating": "number", "date": "date"}


def test_text_types_hold_text_and_dump_as_is() -> None:
    types = builtin_field_types()
    text = {"text", "long_text", "email", "phone", "url", "auto_number"}
    text |= {"vin", "id_number", "credit_code"}
    assert {t.key for t in types if t.holds_text} == text
    assert {t.key for t in types if t.dumps_as_is} == text | {"user"}


def test_reports_group_by_what_a_type_allows() -> None:
    types = builtin_field_types()
    assert {t.key for t in types if not t.groupable} == {
        "multi_select",
        "location",
        "lookup",
        "long_text",
        "subform",
    }


def test_where_a_types_options_come_from() -> None:
    types = builtin_field_types()
    assert {t.key: t.derived_from for t in types if t.derived_from} == {
        "relation": "relation",
        "lookup": "through",
        "rollup": "through",
        "formula": "formula",
        "subform": "subform",
    }
    assert field("single_select").is_single_select
    assert not field("multi_select").is_single_select


def test_only_a_subform_holds_rows() -> None:
    assert [t.key for t in builtin_field_types() if t.holds_rows] == ["subform"]
