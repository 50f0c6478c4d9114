"""The parser: Excel precedence, located errors, limits, round trips and fuzzing."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cairn.core import render
from cairn.formula import FormulaError, parse, to_text
from cairn.formula.ast import Binary, Bool, Call, FieldRef, Node, Number, Text, Unary


def message(e: FormulaError, lang: str = "en") -> str:
    return render(e.field_errors["formula"][0], lang)


def test_excel_precedence() -> None:
    assert parse("-2^2") == Binary("^", Unary("-", Number(2.0)), Number(2.0))
    assert parse("2^3^2") == Binary("^", Binary("^", Number(2.0), Number(3.0)), Number(2.0))
    assert parse('1+2&"x"') == Binary("&", Binary("+", Number(1.0), Number(2.0)), Text("x"))
    assert parse("1=1&1") == Binary("=", Number(1.0), Binary("&", Number(1.0), Number(1.0)))


def test_literals_fields_and_calls() -> None:
    assert parse('"a""b"') == Text('a"b')
    assert parse("true") == Bool(True)
    assert parse("{客户.等级}") == FieldRef("客户.等级")
    assert parse("if({a}, 1)") == Call("IF", (FieldRef("a"), Number(1.0)))
    assert parse("NOW()") == Call("NOW", ())


@pytest.mark.parametrize(
    ("text", "column", "en"),
    [
        ("IF({a}>1, 1", 12, "column 12: the formula ends too early."),
        ("1 +* 2", 4, "column 4: unexpected '*'."),
        ("__import__", 1, "column 1: unknown name __import__"),
        ("1 + {}", 5, "column 5: {} names no field."),
        ("1e400", 1, "column 1: the number is too large."),
        ("1 # 2", 3, "column 3: unexpected '#'."),
    ],
)
def test_syntax_errors_name_the_column(text: str, column: int, en: str) -> None:
    with pytest.raises(FormulaError) as e:
        parse(text)
    assert e.value.params["column"] == column
    assert message(e.value).startswith(en)
    assert message(e.value, "zh-CN").startswith(f"第 {column} 列")


@pytest.mark.parametrize(
    "text",
    [
        "(" * 3000 + "1" + ")" * 3000,
        "1+" * 1999 + "1",
        "-" * 3000 + "1",
        "ABS(" * 60 + "1" + ")" * 60,
        "x" * 5000,
        '"' + "a" * 2000 + '"',
    ],
    ids=["parens", "long-chain", "signs", "deep-calls", "too-long", "huge-text"],
)
def test_pathological_input_is_a_located_error(text: str) -> None:
    try:
        parse(text)
    except FormulaError as e:
        assert e.params["column"] >= 1
    # A deep but legal grouping parses to its one value without recursion.


def test_deep_parentheses_around_one_value_are_fine() -> None:
    assert parse("(" * 1000 + "1" + ")" * 1000) == Number(1.0)


# -- round trip -------------------------------------------------------------------------
names = st.sampled_from(["a", "客户", "orders.amount", "级别 1"])
leaves = st.one_of(
    st.floats(min_value=0, max_value=1e20, allow_nan=False).map(Number),
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=8).map(Text),
    st.booleans().map(Bool),
    names.map(FieldRef),
)


def _extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    ops = st.sampled_from(["+", "-", "*", "/", "^", "&", "=", "<>", "<", "<=", ">", ">="])
    return st.one_of(
        st.builds(Binary, ops, children, children),
        st.builds(Unary, st.sampled_from(["-", "+"]), children),
        st.builds(
            Call,
            st.sampled_from(["IF", "SUM", "ROUND", "NOW"]),
            st.lists(children, max_size=3).map(tuple),
        ),
    )


trees = st.recursive(leaves, _extend, max_leaves=25)


@given(trees)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_printing_then_parsing_gives_the_same_tree(tree: Node) -> None:
    assert parse(to_text(tree)) == tree


@given(st.text(max_size=200))
@settings(max_examples=500)
def test_any_text_parses_or_gives_a_located_error(text: str) -> None:
    try:
        tree = parse(text)
    except FormulaError as e:
        assert 1 <= e.params["column"] <= len(text) + 1
        assert message(e)
    else:
        assert parse(to_text(tree)) == tree


formula_alphabet = st.sampled_from(
    [*list('(){}",+-*/^&=<>1234567890.eE '), "IF", "SUM", "TRUE", "{a}", "AND", '"x"']
)


@given(st.lists(formula_alphabet, max_size=60).map("".join))
@settings(max_examples=500)
def test_formula_like_text_parses_or_gives_a_located_error(text: str) -> None:
    try:
        tree = parse(text)
    except FormulaError as e:
        assert 1 <= e.params["column"] <= len(text) + 1
    else:
        assert parse(to_text(tree)) == tree
