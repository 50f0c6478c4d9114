"""The pure rules of tags: a tag's attributes checked, import cells split into names, and the
tags a rule or filter names mapped (ids ↔ names) for app packages."""

from __future__ import annotations

import pytest

from cairn.core import Invalid
from cairn.insight.tags import checked_tag, map_tag_refs, split_names, tag_ids


def test_a_tag_is_checked_attribute_by_attribute() -> None:
    assert checked_tag({"name": " VIP ", "colour": "#ABCDEF"}) == {
        "name": "VIP",
        "colour": "#abcdef",
        "group": "",
        "description": "",
        "position": 0,
    }
    assert checked_tag({"group": "价值"}, partial=True) == {"group": "价值"}
    with pytest.raises(Invalid) as e:
        checked_tag({"name": "", "colour": "teal", "group": "g" * 51, "position": -1, "x": 1})
    assert set(e.value.field_errors) == {"name", "colour", "group", "position", "x"}
    for bad in ("a,b", "a|b", "a、b", "x" * 51):
        with pytest.raises(Invalid):
            checked_tag({"name": bad})


def test_import_cells_split_on_every_separator() -> None:
    assert split_names("VIP，华东; 沉睡；金卡、银卡|铜卡,VIP") == [
        "VIP",
        "华东",
        "沉睡",
        "金卡",
        "银卡",
        "铜卡",
    ]
    assert split_names(None) == [] and split_names(" , ") == []


def test_tag_id_lists_are_whole_numbers_without_repeats() -> None:
    assert tag_ids([3, 1, 3], "tags") == [3, 1]
    for bad in ([True], ["1"], [0], "1", [1] * 201):
        with pytest.raises(Invalid):
            tag_ids(bad, "tags")
    with pytest.raises(Invalid):
        tag_ids([], "tags", allow_empty=False)


def test_rules_and_filters_name_tags_both_ways() -> None:
    rule = {
        "trigger": {
            "type": "schedule",
            "filter": {"and": [{"field": "_tags", "op": "has_any", "value": [1, 2]}]},
        },
        "actions": [{"type": "add_tag", "tags": [2]}, {"type": "notify", "to": ["owner"]}],
    }
    names = {1: "VIP", 2: "沉睡"}
    out = map_tag_refs(rule, lambda x: names[x])
    assert out["trigger"]["filter"]["and"][0]["value"] == ["VIP", "沉睡"]
    assert out["actions"] == [
        {"type": "add_tag", "tags": ["沉睡"]},
        {"type": "notify", "to": ["owner"]},
    ]
    back = {v: k for k, v in names.items()}
    assert map_tag_refs(out, lambda x: back[x]) == rule
