"""What the random-formula tests share (Python against SQL in ``test_differential``, Python
against the browser in ``test_browser_eval``): text literals, dates, and conditions (a boolean,
a blank or a number where a boolean is expected) and booleans. Each test writes its own numbers
and texts (what its evaluators implement) and gives them, with its further kinds of dates and
booleans, to a ``Grammar``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

Strategy = Callable[..., st.SearchStrategy[str]]
#: A further kind of date expression: given ``draw`` and the depth, the formula.
DayArm = Callable[[Any, int], str]
#: A further kind of boolean expression: given ``draw``, the depth of its parts and a
#: comparison operator, the formula.
BooleanArm = Callable[[Any, int, str], str]

OPERATORS = ["=", "<>", "<", "<=", ">", ">="]

#: What a condition may also be: a blank, or a number (TRUE unless 0).
BLANKS = ["BLANK()", "{b1}"]  # {b1} is blank in about half the records
NUMBERISH = ["{n1}", "{n2}", "0", "1", "0.5"]


def q(s: str) -> str:
    """``s`` as a formula's text literal."""
    return '"' + s.replace('"', '""') + '"'


def maybe(s: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A value of ``s`` or blank (None)."""
    return st.one_of(st.none(), s)


@dataclass(frozen=True)
class Grammar:
    """Dates, conditions and booleans over a test's ``number`` and ``text`` strategies
    (called with a depth). ``units``: the units DATEADD gets on a date; ``day_arms``: date
    expressions beyond DATE, DATEADD, date + n and IF; ``boolean_leaves``: the booleans at
    the bottom; ``boolean_arms``: boolean expressions beyond the comparisons, AND, OR,
    CONTAINS, NOT, IF, IFS, SWITCH, BLANKVALUE and IFERROR; ``iferror_truth``: IFERROR's
    first argument is a boolean value half the time (else always a division that may fail)."""

    number: Strategy
    text: Strategy
    units: Sequence[str]
    boolean_leaves: Sequence[str]
    day_arms: Sequence[DayArm] = ()
    boolean_arms: Sequence[BooleanArm] = ()
    iferror_truth: bool = False

    def day(self, depth: int = 3) -> st.SearchStrategy[str]:
        return _day(self, depth)

    def condition(self, depth: int = 3) -> st.SearchStrategy[str]:
        """An argument where a boolean is expected: a boolean, a blank or a number."""
        return _condition(self, depth)

    def truth(self, depth: int = 3) -> st.SearchStrategy[str]:
        """A value position of a boolean result (IF's branches, SWITCH's results): a boolean
        or a blank."""
        return _truth(self, depth)

    def boolean(self, depth: int = 3) -> st.SearchStrategy[str]:
        """Booleans, with booleans, blanks and numbers in every argument position of AND, OR,
        NOT, IF, IFS, SWITCH, BLANKVALUE and IFERROR, nested."""
        return _boolean(self, depth)


@st.composite
def _day(draw: Any, g: Grammar, depth: int) -> str:
    leaves = [st.sampled_from(["{d1}", "{d2}", "TODAY()", "{签约日期}"])]
    if depth <= 0:
        return draw(st.one_of(*leaves))
    choice = draw(st.integers(0, 5 + len(g.day_arms)))
    num = g.number(depth - 1)
    if choice <= 1:
        return draw(st.one_of(*leaves))
    if choice == 2:
        y, m, d = (
            draw(st.integers(2020, 2030)),
            draw(st.integers(-2, 14)),
            draw(st.integers(-3, 40)),
        )
        return f"DATE({y}, {m}, {d})"
    if choice == 3:
        unit = draw(st.sampled_from(list(g.units)))
        return f'DATEADD({draw(g.day(depth - 1))}, {draw(num)}, "{unit}")'
    if choice == 4:
        return f"({draw(g.day(depth - 1))} + {draw(num)})"
    if choice < 5 + len(g.day_arms):
        return g.day_arms[choice - 5](draw, depth)
    return f"IF({draw(g.condition(depth - 1))}, {draw(g.day(depth - 1))}, {draw(g.day(depth - 1))})"


@st.composite
def _condition(draw: Any, g: Grammar, depth: int) -> str:
    choice = draw(st.integers(0, 5))
    if choice == 0:
        return draw(st.sampled_from(BLANKS))
    if choice == 1:
        return draw(st.sampled_from(NUMBERISH)) if depth <= 0 else draw(g.number(depth - 1))
    return draw(g.boolean(depth))


@st.composite
def _truth(draw: Any, g: Grammar, depth: int) -> str:
    if draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(BLANKS))
    return draw(g.boolean(depth))


@st.composite
def _boolean(draw: Any, g: Grammar, depth: int) -> str:
    leaves = [st.sampled_from(list(g.boolean_leaves))]
    if depth <= 0:
        return draw(st.one_of(*leaves))
    d = depth - 1
    number, text, day, condition, truth = g.number, g.text, g.day, g.condition, g.truth
    choice = draw(st.integers(0, 13 + len(g.boolean_arms)))
    op = draw(st.sampled_from(OPERATORS))
    if choice <= 1:
        return draw(st.one_of(*leaves))
    if choice == 2:
        return f"({draw(number(d))} {op} {draw(number(d))})"
    if choice == 3:
        return f"({draw(text(d))} {op} {draw(text(d))})"
    if choice == 4:
        return f"({draw(day(d))} {op} {draw(day(d))})"
    if choice in (5, 6):
        fn = draw(st.sampled_from(["AND", "OR"]))
        args = draw(st.lists(condition(d), min_size=1, max_size=4))
        return f"{fn}({', '.join(args)})"
    if choice == 7:
        return f"CONTAINS({draw(text(d))}, {draw(text(d))})"
    if choice == 8:
        return f"NOT({draw(condition(d))})"
    if choice == 9:
        if draw(st.booleans()):
            return f"IF({draw(condition(d))}, {draw(truth(d))})"
        return f"IF({draw(condition(d))}, {draw(truth(d))}, {draw(truth(d))})"
    if choice == 10:
        arms = draw(st.lists(st.tuples(condition(d), truth(d)), min_size=1, max_size=3))
        return f"IFS({', '.join(f'{c}, {v}' for c, v in arms)})"
    if choice == 11:
        # Booleans, blanks and numbers compare as numbers (TRUE = 1, blank = 0).
        key = st.one_of(condition(d), st.sampled_from(NUMBERISH))
        arms = draw(st.lists(st.tuples(key, truth(d)), min_size=1, max_size=3))
        default = [draw(truth(d))] if draw(st.booleans()) else []
        parts = [draw(key)] + [f"{k}, {v}" for k, v in arms] + default
        return f"SWITCH({', '.join(parts)})"
    if choice == 12:
        return f"BLANKVALUE({draw(truth(d))}, {draw(truth(d))})"
    if choice < 13 + len(g.boolean_arms):
        return g.boolean_arms[choice - 13](draw, d, op)
    # an error in a boolean: (1 / 0) > 1 and the like
    if not g.iferror_truth or draw(st.booleans()):
        first = f"({draw(number(d))} / {draw(st.sampled_from(NUMBERISH))} > 1)"
    else:
        first = draw(truth(d))
    return f"IFERROR({first}, {draw(truth(d))})"
