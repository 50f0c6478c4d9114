"""Formula filters made of field-versus-constant comparisons run as plain conditions
(``cairn.query.sargable``) and select exactly the rows the full compilation selects: checked on
random formulas over records with blanks and values at the edges, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cairn.query.formula import compile_text, environment
from cairn.query.sargable import where_clause

from .conftest import World
from .helpers import ids

TODAY = date(2026, 1, 5)  # the frozen clock's day in Shanghai
OPS = ["=", "<>", "<", "<=", ">", ">="]
AMOUNTS = [None, Decimal("0"), Decimal("-1.5"), Decimal("10"), Decimal("499.99"), Decimal("500"),
           Decimal("1234567890.12")]  # fmt: skip
QTYS = [None, 0, 1, 3, 30, -2]
DAYS_AGO = [None, 0, 1, 29, 30, 31, -1, 400]


@pytest.fixture
def deals(world: World) -> World:
    w = world
    w.table("deals")
    w.field("deals", "amount", "number", decimals=2)
    w.field("deals", "qty", "number")
    w.field("deals", "score", "rating")
    w.field("deals", "signed_on", "date")
    w.field("deals", "title", "text")
    w.reload()
    i = 0
    for amount in AMOUNTS:
        for ago in DAYS_AGO:
            qty = QTYS[i % len(QTYS)]
            signed = None if ago is None else TODAY - timedelta(days=ago)
            w.insert("deals", amount=amount, qty=qty, signed_on=signed, title=f"d{i}")
            i += 1
    return w


def _number() -> st.SearchStrategy[str]:
    numbers = [
        "0",
        "10",
        "500",
        "499.99",
        "499.995",
        "30",
        "30.5",
        "-1.5",
        "0.5",
        "1",
        "1234567890.11",
    ]
    return st.sampled_from(numbers).map(lambda x: f"({x})" if x.startswith("-") else x)


def _comparison() -> st.SearchStrategy[str]:
    field = st.sampled_from(["{amount}", "{qty}", "{score}", "DAYS(TODAY(), {signed_on})",
                             "DAYS({signed_on}, TODAY())"])  # fmt: skip
    return st.builds(
        lambda f, op, n, flip: f"{n} {op} {f}" if flip else f"{f} {op} {n}",
        field,
        st.sampled_from(OPS),
        _number(),
        st.booleans(),
    )


formulas = st.recursive(
    _comparison(),
    lambda inner: st.builds(
        lambda fn, xs: f"{fn}({', '.join(xs)})",
        st.sampled_from(["AND", "OR"]),
        st.lists(inner, min_size=1, max_size=3),
    ),
    max_leaves=5,
)


def _fast(w: World, text: str) -> Any:
    s = w.schema("deals")
    f = compile_text(w.catalog, s, text)
    return where_clause(s, s.sa_table, f.typed, environment(w.catalog, w.clock).today)


def test_the_frozen_day_is_the_one_the_records_are_dated_from(deals: World) -> None:
    assert environment(deals.catalog, deals.clock).today == TODAY


def test_simple_formula_filters_select_the_same_rows_as_the_full_compilation(
    deals: World,
) -> None:
    @given(formulas)
    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    def check(text: str) -> None:
        assert _fast(deals, text) is not None, text  # the plain path is the one under test
        plain = ids(deals, "deals", {"formula": text})
        # NOT(NOT(…)) is the same formula, which the plain path does not take.
        full = ids(deals, "deals", {"formula": f"NOT(NOT({text}))"})
        assert sorted(plain) == sorted(full), text
        negated = ids(deals, "deals", {"not": {"formula": text}})
        assert sorted(negated) == sorted(ids(deals, "deals", {"formula": f"NOT({text})"})), text

    check()


@pytest.mark.parametrize(
    "text",
    [
        'AND({amount} > 1, {title} = "d1")',  # text: not a plain comparison here
        "NOT({amount} > 1)",
        "{amount} > {qty}",
        "DAYS(DATE(2026, 1, 1), {signed_on}) > 3",
        "{amount} > 1e300",
    ],
)
def test_other_formulas_take_the_full_path(deals: World, text: str) -> None:
    assert _fast(deals, text) is None
    assert isinstance(ids(deals, "deals", {"formula": text}), list)
