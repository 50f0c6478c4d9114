"""relation (links kept in a junction table), lookup and rollup."""

from __future__ import annotations

from typing import Any

import pytest

from cairn.core import Invalid
from cairn.meta import Field, junction_name, junction_sides

from ..helpers import TYPES, cell


def test_relation_takes_one_or_many_record_ids() -> None:
    c = cell("relation", target_table_id=2)
    assert c.coerce(5) == [5]
    assert c.coerce("5") == [5]
    assert c.coerce([5, {"id": 6}, "7"]) == [5, 6, 7]


def test_relation_keeps_each_record_once_in_order() -> None:
    assert cell("relation", target_table_id=2).coerce([7, 5, 7, "5"]) == [7, 5]


@pytest.mark.parametrize("blank", [None, "", []])
def test_blank_relation_clears_the_links(blank: Any) -> None:
    assert cell("relation", target_table_id=2).coerce(blank) == []


def test_single_relation_takes_one_record() -> None:
    c = cell("relation", target_table_id=2, multiple=False)
    assert c.coerce(5) == [5]
    assert c.coerce([5, 5]) == [5]
    assert c.error_key([5, 6]) == "value.relation_single"


@pytest.mark.parametrize("value", [0, -1, "abc", True, 2.5, [1, "x"], {"name": "x"}, "²", 2**63])
def test_bad_record_ids_are_rejected(value: Any) -> None:
    assert cell("relation", target_table_id=2).error_key(value) == "value.relation"


def test_relation_needs_a_target_table() -> None:
    with pytest.raises(Invalid) as caught:
        TYPES.get("relation").validate_options({})
    assert "options.target_table_id" in caught.value.field_errors


def test_relation_defaults_to_many() -> None:
    assert TYPES.get("relation").validate_options({"target_table_id": 2}) == {
        "target_table_id": 2,
        "multiple": True,
        "reverse_of": None,
        "reverse_field_id": None,
    }


def test_both_sides_of_a_relation_share_one_junction_table() -> None:
    forward = Field(
        id=10,
        table_id=1,
        key="orders",
        name="订单",
        type="relation",
        options={"target_table_id": 2, "reverse_field_id": 11},
    )
    reverse = Field(
        id=11,
        table_id=2,
        key="customer",
        name="客户",
        type="relation",
        options={"target_table_id": 1, "reverse_of": 10},
    )
    assert junction_name(forward) == junction_name(reverse) == "j_10"
    assert junction_sides(forward) == ("src_id", "dst_id")
    assert junction_sides(reverse) == ("dst_id", "src_id")


def test_lookup_and_rollup_are_computed_not_written() -> None:
    for key in ("lookup", "rollup"):
        assert not TYPES.get(key).writable
        assert not TYPES.get(key).stored


@pytest.mark.parametrize(
    "options",
    [
        {"relation_field_id": 1, "function": "median"},
        {"relation_field_id": 1, "decimals": 9},
        {"function": "sum"},
    ],
)
def test_bad_rollup_options_are_invalid(options: dict) -> None:
    with pytest.raises(Invalid):
        TYPES.get("rollup").validate_options(options)


def test_lookup_needs_the_relation_and_the_target_field() -> None:
    with pytest.raises(Invalid) as caught:
        TYPES.get("lookup").validate_options({"relation_field_id": 1})
    assert list(caught.value.field_errors) == ["options.target_field_id"]
