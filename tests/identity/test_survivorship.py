"""Survivorship (pure): each rule's choice, blanks filled from the other record whatever the
rule, lists united, choices by hand; properties over many values (hypothesis)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cairn.core import Invalid
from cairn.identity.survivorship import Side, blank, chosen, propose, same, union
from cairn.meta.survivorship import check_survivorship

T0 = datetime(2026, 12, 1, 9, 0)


def sides(sv: Any, lv: Any, **kw: Any) -> tuple[Side, Side]:
    return (
        Side({"f": sv, **kw.get("s", {})}, kw.get("s_at", T0), kw.get("s_filled", 1)),
        Side({"f": lv, **kw.get("l", {})}, kw.get("l_at", T0), kw.get("l_filled", 1)),
    )


def test_master_keeps_the_survivors_value_and_fills_blanks() -> None:
    assert propose("f", {}, *sides("a", "b")).origin == "survivor"
    p = propose("f", {}, *sides(None, "b"))
    assert (p.value, p.origin) == ("b", "loser")
    assert propose("f", {}, *sides("a", None)).value == "a"


def test_recent_complete_and_source() -> None:
    recent = {"survivorship": {"rule": "recent"}}
    later = T0 + timedelta(hours=1)
    assert propose("f", recent, *sides("a", "b", l_at=later)).value == "b"
    assert propose("f", recent, *sides("a", "b", s_at=later)).value == "a"
    assert propose("f", recent, *sides("a", "b")).value == "a"  # a tie: the survivor's
    complete = {"survivorship": {"rule": "complete"}}
    assert propose("f", complete, *sides("a", "b", l_filled=5)).value == "b"
    assert propose("f", complete, *sides("a", "b", s_filled=5)).value == "a"
    source = {"survivorship": {"rule": "source", "source_field": "src", "order": ["DMS", "WMS"]}}
    assert propose("f", source, *sides("a", "b", s={"src": "WMS"}, l={"src": "DMS"})).value == "b"
    assert propose("f", source, *sides("a", "b", s={"src": "X"}, l={"src": "WMS"})).value == "b"
    assert propose("f", source, *sides("a", "b", s={"src": "DMS"}, l={"src": "DMS"})).value == "a"


def test_lists_unite_and_choices_by_hand() -> None:
    p = propose("f", {}, *sides(["a", "b"], ["b", "c"]))
    assert (p.value, p.origin) == (["a", "b", "c"], "union")
    assert propose("f", {}, *sides(["a"], ["a"])).origin == "survivor"
    assert propose("f", {}, *sides([], ["x"])).origin == "loser"
    s, lo = sides("a", "b")
    assert chosen("f", "loser", s, lo).value == "b"
    assert chosen("f", {"value": "z"}, s, lo).origin == "choice"
    with pytest.raises(ValueError):
        chosen("f", "both", s, lo)


values = st.one_of(
    st.none(),
    st.text(max_size=8),
    st.integers(-1000, 1000),
    st.lists(st.sampled_from("abcdef"), max_size=5, unique=True),
)
rules = st.sampled_from(
    [
        {},
        {"survivorship": {"rule": "recent"}},
        {"survivorship": {"rule": "complete"}},
        {"survivorship": {"rule": "source", "source_field": "src", "order": ["A", "B"]}},
    ]
)


@settings(max_examples=300, deadline=None)
@given(values, values, rules, st.integers(0, 5), st.integers(0, 5), st.booleans())
def test_a_merge_never_loses_a_filled_value(
    sv: Any, lv: Any, options: dict[str, Any], sf: int, lf: int, later: bool
) -> None:
    s = Side({"f": sv, "src": "B"}, T0, sf)
    lo = Side({"f": lv, "src": "A"}, T0 + timedelta(minutes=1 if later else -1), lf)
    p = propose("f", options, s, lo)
    assert p.origin in ("survivor", "loser", "union")
    if not blank(sv) or not blank(lv):
        assert not blank(p.value)
    if isinstance(sv, list) and isinstance(lv, list):
        assert set(p.value) == set(sv) | set(lv)
    elif p.origin == "survivor":
        assert same(p.value, sv)
    else:
        assert same(p.value, lv)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 9), max_size=8), st.lists(st.integers(0, 9), max_size=8))
def test_union_keeps_order_and_has_no_duplicates(a: list[int], b: list[int]) -> None:
    u = union(list(dict.fromkeys(a)), b)
    assert len(u) == len(set(u)) and u[: len(set(a))] == list(dict.fromkeys(a))
    assert set(u) == set(a) | set(b)


def test_option_shapes() -> None:
    assert check_survivorship(None) is None
    assert check_survivorship({"rule": "master"}) is None  # the default: no option stored
    assert check_survivorship({"rule": "recent"}) == {"rule": "recent"}
    ok = {"rule": "source", "source_field": " src ", "order": ["DMS", " WMS"]}
    assert check_survivorship(ok) == {
        "rule": "source",
        "source_field": "src",
        "order": ["DMS", "WMS"],
    }
    for bad in (
        "recent",
        {"rule": "x"},
        {"rule": "recent", "extra": 1},
        {"rule": "source", "source_field": "s", "order": ["a", "a"]},
        {"rule": "source", "source_field": "s", "order": "a"},
        {"rule": "source", "order": ["a"]},
    ):
        with pytest.raises(Invalid):
            check_survivorship(bad)
