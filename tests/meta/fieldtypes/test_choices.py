"""single_select, multi_select and boolean."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairn.core import Invalid
from cairn.meta.fieldtypes.choices import PALETTE

from ..helpers import TYPES, bind, cell, make_field

ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
TIERS = {
    "choices": [{"value": "VIP", "color": "#d4380d"}, {"value": "Gold"}, {"value": "Standard"}]
}


def ids(field: Any) -> dict[str, str]:
    return {c["value"]: c["id"] for c in field.options["choices"]}


# -- options -------------------------------------------------------------------------------


@pytest.mark.parametrize("type_key", ["single_select", "multi_select"])
def test_options_get_distinct_ids_and_colours(type_key: str) -> None:
    choices = make_field(type_key, TIERS).options["choices"]
    assert [c["value"] for c in choices] == ["VIP", "Gold", "Standard"]
    assert all(ID.match(c["id"]) for c in choices)
    assert len({c["id"] for c in choices}) == 3
    assert [c["color"] for c in choices] == ["#d4380d", PALETTE[1], PALETTE[2]]


def test_an_option_sent_with_an_id_keeps_it() -> None:
    field = make_field("single_select", {"choices": [{"id": "vip", "value": "VIP"}]})
    assert field.options["choices"][0]["id"] == "vip"


def test_renaming_an_option_keeps_its_id_so_records_follow() -> None:
    before = make_field("single_select", TIERS)
    stored = bind(before).coerce("VIP")
    sent = [
        {"id": ids(before)["VIP"], "value": "钻石"},
        {"value": "Gold"},  # no id: matched to the old option by its value
        {"value": "Standard"},
    ]
    after = make_field("single_select", {"choices": sent}, previous=before)
    assert ids(after) == {
        "钻石": ids(before)["VIP"],
        "Gold": ids(before)["Gold"],
        "Standard": ids(before)["Standard"],
    }
    assert bind(after).dump(stored) == "钻石"


def test_renaming_an_option_and_adding_one_with_its_old_name() -> None:
    before = make_field("single_select", {"choices": [{"value": "A"}]})
    old_id = ids(before)["A"]
    after = make_field(
        "single_select",
        {"choices": [{"id": old_id, "value": "B"}, {"value": "A"}]},
        previous=before,
    )
    assert ids(after)["B"] == old_id
    assert ids(after)["A"] != old_id


def test_a_new_option_never_takes_the_id_of_a_removed_one() -> None:
    before = make_field("single_select", {"choices": [{"value": "A"}]})
    after = make_field("single_select", {"choices": [{"value": "C"}]}, previous=before)
    # Records holding the removed option must not silently read "C".
    assert ids(after)["C"] != ids(before)["A"]


@pytest.mark.parametrize(
    "options",
    [
        {"choices": [{"value": "A"}, {"value": "A"}]},
        {"choices": [{"id": "x", "value": "A"}, {"id": "x", "value": "B"}]},
        {"choices": [{"value": ""}]},
        {"choices": [{"value": "A", "color": "red"}]},
        {"choices": [{"value": "A", "id": "has space"}]},
        {"choices": [{"value": "A", "weight": 1}]},
    ],
)
def test_bad_select_options_are_invalid(options: dict) -> None:
    with pytest.raises(Invalid):
        TYPES.get("single_select").validate_options(options)


# -- single select -------------------------------------------------------------------------


def test_single_select_stores_the_option_id_and_shows_its_value() -> None:
    c = cell("single_select", **TIERS)
    vip = ids(c.field)["VIP"]
    for value in ("VIP", vip, {"id": vip}, {"value": "VIP"}):
        assert c.coerce(value) == vip
    assert c.read("VIP") == "VIP"


@pytest.mark.parametrize("value", ["Platinum", "vip", " VIP", 1, True, ["VIP"], {"value": "X"}])
def test_unknown_option_is_rejected(value: Any) -> None:
    assert cell("single_select", **TIERS).error_key(value) == "value.choice"


def test_unknown_option_error_names_the_value() -> None:
    assert cell("single_select", **TIERS).error("Platinum").message.params == {"value": "Platinum"}


@pytest.mark.parametrize("blank", [None, ""])
def test_blank_single_select_is_no_value(blank: str | None) -> None:
    c = cell("single_select", **TIERS)
    assert c.coerce(blank) is None
    assert c.dump(None) is None


# -- multi select --------------------------------------------------------------------------


def test_multi_select_takes_comma_separated_text() -> None:
    c = cell("multi_select", **TIERS)
    assert c.read("VIP,Gold") == ["VIP", "Gold"]
    assert c.read("Gold， VIP") == ["VIP", "Gold"]  # a Chinese comma; option order wins
    assert c.read("Standard; Gold") == ["Gold", "Standard"]


def test_multi_select_drops_repeats() -> None:
    c = cell("multi_select", **TIERS)
    gold = ids(c.field)["Gold"]
    assert c.read(["Gold", "Gold", gold, {"id": gold}]) == ["Gold"]
    assert json.loads(c.coerce("Gold,Gold")) == [gold]


def test_multi_select_rejects_an_unknown_option_in_the_list() -> None:
    c = cell("multi_select", **TIERS)
    err = c.error(["VIP", "Platinum"])
    assert (err.message.key, err.message.params) == ("value.choice", {"value": "Platinum"})
    assert c.error_key("VIP,Platinum") == "value.choice"
    assert c.error_key([1]) == "value.choice"


@pytest.mark.parametrize("value", [{"id": "x"}, 7, True])
def test_multi_select_wants_a_list_or_text(value: Any) -> None:
    assert cell("multi_select", **TIERS).error_key(value) == "value.choices"


@pytest.mark.parametrize("blank", [None, "", [], " , "])
def test_blank_multi_select_reads_as_an_empty_list(blank: Any) -> None:
    c = cell("multi_select", **TIERS)
    assert c.read(blank) == []


# -- boolean -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [True, 1, "true", "TRUE", " yes ", "Y", "1", "on", "是", "对"])
def test_boolean_true_words(value: Any) -> None:
    assert cell("boolean").read(value) is True


@pytest.mark.parametrize("value", [False, 0, None, "", "false", "No", "n", "0", "off", "否", "错"])
def test_boolean_false_words(value: Any) -> None:
    assert cell("boolean").read(value) is False


@pytest.mark.parametrize("value", ["maybe", "不是", 2, -1, 1.0, [], {}])
def test_boolean_rejects_other_values(value: Any) -> None:
    assert cell("boolean").error_key(value) == "value.boolean"


# -- properties ----------------------------------------------------------------------------

SELECTS = {key: make_field(key, TIERS) for key in ("single_select", "multi_select")}


def _inputs(field: Any) -> st.SearchStrategy[str]:
    return st.sampled_from([*ids(field), *ids(field).values()])


@given(st.data())
def test_single_select_read_back_and_written_again_changes_nothing(data: st.DataObject) -> None:
    c = bind(SELECTS["single_select"])
    stored = c.coerce(data.draw(_inputs(c.field)))
    assert c.coerce(c.dump(stored)) == stored


@given(st.data())
def test_multi_select_read_back_and_written_again_changes_nothing(data: st.DataObject) -> None:
    c = bind(SELECTS["multi_select"])
    picked = data.draw(st.lists(_inputs(c.field), max_size=6))
    as_text = data.draw(st.booleans())
    stored = c.coerce(",".join(picked) if as_text else picked)
    assert c.coerce(c.dump(stored)) == stored
