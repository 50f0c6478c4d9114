"""Blocking keys keep what they promise (``cairn.identity.blocking``), and scores: a keyed
rule's pairs that score always share a block; a fuzzy rule's values one edit apart (4+ Latin
or 2+ Chinese characters) always share one; a pair differing in an exact part never scores."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cairn.identity.blocking import MAX_BLOCK, blocks
from cairn.identity.names import normalise_name
from cairn.identity.rules import CompiledPart, CompiledRule, Part, Rule
from cairn.identity.score import score
from cairn.identity.values import record_values
from cairn.meta import Field


def field(fid: int, key: str) -> Field:
    return Field(id=fid, table_id=1, key=key, name=key, type="text")


def text(v: Any, company: bool = True) -> str | None:
    return normalise_name(v, company=company) or None


def digits(v: Any) -> str | None:
    return "".join(ch for ch in v if ch.isdigit()) or None if isinstance(v, str) else None


def rule(parts: list[tuple[str, str, bool]], threshold: float = 80) -> CompiledRule:
    compiled = tuple(
        CompiledPart(
            field(i + 1, key),
            None,
            compare,
            digits if is_key else (lambda v, c=compare: text(v, c == "fuzzy")),
            is_key,
        )
        for i, (key, compare, is_key) in enumerate(parts)
    )
    stored = Rule(
        7,
        1,
        "r",
        "combo",
        tuple(Part(i + 1, None, p[1]) for i, p in enumerate(parts)),
        threshold,
        "suggest",
        True,
        0,
    )
    return CompiledRule(stored, compiled)


KEYED = rule([("mobile", "exact", True), ("name", "fuzzy", False)])
FUZZY = rule([("name", "fuzzy", False), ("city", "exact", False)], threshold=0)
LATIN = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=4, max_size=16)
CHINESE = st.text(alphabet="张王李赵伟明华芳秀英国强军", min_size=2, max_size=6)


def vals(r: CompiledRule, *raw: Any) -> Any:
    return record_values(r, [[v] for v in raw])


def edited(draw: Any, value: str, alphabet: str) -> str:
    """``value`` with one character changed, added or dropped."""
    kind = draw(st.sampled_from(["sub", "add", "drop"]))
    at = draw(st.integers(0, len(value) - (0 if kind == "add" else 1)))
    ch = draw(st.sampled_from(alphabet))
    if kind == "sub":
        return value[:at] + ch + value[at + 1 :]
    if kind == "add":
        return value[:at] + ch + value[at:]
    return value[:at] + value[at + 1 :]


@st.composite
def one_edit(draw: Any) -> tuple[str, str]:
    if draw(st.booleans()):
        v = draw(LATIN)
        return v, edited(draw, v, "abcdefghijklmnopqrstuvwxyz")
    v = draw(CHINESE)
    return v, edited(draw, v, "张王李赵伟明华芳秀英国强军")


@settings(max_examples=300, deadline=None)
@given(one_edit(), st.sampled_from(["上海", "北京"]))
def test_a_fuzzy_rule_files_values_one_edit_apart_under_a_common_block(
    pair: tuple[str, str], city: str
) -> None:
    a, b = pair
    if not b:
        return
    assert blocks(FUZZY, vals(FUZZY, a, city)) & blocks(FUZZY, vals(FUZZY, b, city))


PHONES = st.sampled_from(["13800138000", "138 0013 8000", "13900139000"])
NAMES = st.text(alphabet="abc张伟 .", max_size=8)


@settings(max_examples=300, deadline=None)
@given(PHONES, NAMES, PHONES, NAMES)
def test_a_keyed_rule_loses_no_pair_that_scores(pa: str, na: str, pb: str, nb: str) -> None:
    a, b = vals(KEYED, pa, na), vals(KEYED, pb, nb)
    scored = score(KEYED, a, b)
    if scored is not None:
        assert scored.score >= 80
        assert blocks(KEYED, a) & blocks(KEYED, b)
        assert score(KEYED, b, a).score == scored.score  # type: ignore[union-attr]
    if digits(pa) != digits(pb):
        assert scored is None


def test_a_record_missing_a_blocked_part_is_filed_nowhere() -> None:
    assert blocks(KEYED, vals(KEYED, None, "张伟")) == set()
    assert blocks(FUZZY, vals(FUZZY, "张伟", "")) == set()
    assert blocks(KEYED, vals(KEYED, "13800138000", None))  # only the key is blocked on


def test_long_blocks_are_digested() -> None:
    r = rule([("code", "exact", False)])
    (b,) = blocks(r, vals(r, "x" * 500))
    assert len(b) <= MAX_BLOCK and b.startswith("#")


def test_evidence_names_each_part_with_both_stored_values() -> None:
    a, b = vals(KEYED, "138 0013 8000", "Zhang Wei"), vals(KEYED, "13800138000", "zhang wey")
    scored = score(KEYED, a, b)
    assert scored is not None
    mobile, name = (e.as_dict() for e in scored.evidence)
    assert mobile == {
        "field": "mobile",
        "label": "mobile",
        "a": "138 0013 8000",
        "b": "13800138000",
        "score": 100.0,
    }
    assert (name["a"], name["b"]) == ("Zhang Wei", "zhang wey") and 80 <= name["score"] < 100
