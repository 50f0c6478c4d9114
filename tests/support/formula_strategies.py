"""Random well-typed formulas for the tests that evaluate them two ways (Python against SQL in
``test_differential``, Python against the browser in ``test_browser_eval``): one ``Grammar`` of
numbers, texts, dates, conditions and booleans, nested. Each test gives it the literals and
fields of its records and the further kinds of expression its evaluators implement."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

Strategy = Callable[[int], st.SearchStrategy[str]]
#: A further kind of number, text or date expression: given ``draw`` and the depth, the
#: formula (its parts one level deeper).
Arm = Callable[[Any, int], str]
#: A further kind of boolean expression: given ``draw``, the depth of its parts and a
#: comparison operator, the formula.
BooleanArm = Callable[[Any, int, str], str]

OPERATORS = ["=", "<>", "<", "<=", ">", ">="]
#: What a condition may also be: a blank, or a number (TRUE unless 0).
BLANKS = ["BLANK()", "{b1}"]  # {b1} is blank in about half the records
NUMBERISH = ["{n1}", "{n2}", "0", "1", "0.5"]
DATE_FIELDS = ["{d1}", "{d2}", "TODAY()", "{签约日期}"]


def q(s: str) -> str:
    """``s`` as a formula's text literal."""
    return '"' + s.replace('"', '""') + '"'


def maybe(s: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A value of ``s`` or blank (None)."""
    return st.one_of(st.none(), s)


@dataclass(frozen=True)
class Grammar:
    """Formulas of each result type, nested ``depth`` levels at the most.

    ``number_texts``, ``texts``: the literals; ``number_fields``, ``text_fields``,
    ``boolean_leaves``: the other leaves (fields, constants); ``arithmetic``: the operators
    between numbers; ``units``: the units DATEADD gets on a date; ``*_arms``: the further
    kinds of expression of each type (beyond the ones every evaluator has); ``text_parts``:
    further kinds of value joined with ``&``; ``iferror_truth``: IFERROR's first argument in a
    boolean is a boolean value half the time (else always a division that may fail)."""

    number_texts: Sequence[str]
    number_fields: Sequence[str]
    texts: Sequence[str]
    text_fields: Sequence[str]
    boolean_leaves: Sequence[str]
    arithmetic: Sequence[str]
    units: Sequence[str]
    number_arms: Sequence[Arm] = ()
    text_arms: Sequence[Arm] = ()
    text_parts: Sequence[Strategy] = ()
    day_arms: Sequence[Arm] = ()
    boolean_arms: Sequence[BooleanArm] = ()
    iferror_truth: bool = False

    @property
    def text_literals(self) -> st.SearchStrategy[str]:
        return st.sampled_from(list(self.texts)).map(q)

    def number(self, depth: int = 3) -> st.SearchStrategy[str]:
        return _number(self, depth)

    def text(self, depth: int = 3) -> st.SearchStrategy[str]:
        return _text(self, depth)

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


def _arm(arms: Sequence[Any], first: int, choice: int) -> Any | None:
    """The further arm ``choice`` picks when the further arms are numbered from ``first``."""
    return arms[choice - first] if first <= choice < first + len(arms) else None


@st.composite
def _number(draw: Any, g: Grammar, depth: int) -> str:
    literals = st.one_of(st.sampled_from(list(g.number_texts)), st.integers(0, 1000).map(str))
    leaves = [literals, st.sampled_from(list(g.number_fields))]
    if depth <= 0:
        return draw(st.one_of(*leaves))
    sub = g.number(depth - 1)
    txt = g.text(depth - 1)
    dte = g.day(depth - 1)
    choice = draw(st.integers(0, 15 + len(g.number_arms)))
    if choice <= 3:
        return draw(st.one_of(*leaves))
    if choice == 4:
        op = draw(st.sampled_from(list(g.arithmetic)))
        operand = st.one_of(
            sub, g.boolean(depth - 1), st.sampled_from(['"2"', '" 3.5 "', '"a"', '""'])
        )
        return f"({draw(operand)} {op} {draw(operand)})"
    if choice == 5:
        return f"-{draw(sub)}"
    if choice == 6:
        fn = draw(st.sampled_from(["ROUND", "ROUNDUP", "ROUNDDOWN"]))
        return f"{fn}({draw(sub)}, {draw(st.integers(-2, 3))})"
    if choice == 7:
        fn = draw(st.sampled_from(["ABS", "INT", "SQRT"]))
        return f"{fn}({draw(sub)})"
    if choice == 8:
        return f"MOD({draw(sub)}, {draw(sub)})"
    if choice == 9:
        fn = draw(st.sampled_from(["SUM", "AVERAGE", "MIN", "MAX"]))
        args = draw(st.lists(sub, min_size=1, max_size=3))
        return f"{fn}({', '.join(args)})"
    if choice == 10:
        return f"IF({draw(g.condition(depth - 1))}, {draw(sub)}, {draw(sub)})"
    if choice == 11:
        fn = draw(st.sampled_from(["LEN", "VALUE"]))
        return f"{fn}({draw(txt)})"
    if choice == 12:
        fn = draw(st.sampled_from(["YEAR", "MONTH", "DAY"]))
        return f"{fn}({draw(dte)})"
    if choice == 13:
        unit = draw(st.sampled_from(["d", "m", "y", "md", "ym", "yd"]))
        return f'DATEDIF({draw(dte)}, {draw(dte)}, "{unit}")'
    if choice == 14:
        return f"DAYS({draw(dte)}, {draw(dte)})"
    arm = _arm(g.number_arms, 15, choice)
    if arm is not None:
        return str(arm(draw, depth))
    return f"IFERROR({draw(sub)}, {draw(sub)})"


@st.composite
def _text(draw: Any, g: Grammar, depth: int) -> str:
    leaves = [g.text_literals, st.sampled_from(list(g.text_fields))]
    if depth <= 0:
        return draw(st.one_of(*leaves))
    sub = g.text(depth - 1)
    num = g.number(depth - 1)
    choice = draw(st.integers(0, 9 + len(g.text_arms)))
    if choice <= 2:
        return draw(st.one_of(*leaves))
    if choice == 3:
        more = [p(depth - 1) for p in g.text_parts]
        part = st.one_of(sub, num, g.boolean(depth - 1), *more)
        return f"({draw(part)} & {draw(part)})"
    if choice == 4:
        fn = draw(st.sampled_from(["LEFT", "RIGHT"]))
        return f"{fn}({draw(sub)}, {draw(num)})"
    if choice == 5:
        return f"MID({draw(sub)}, {draw(num)}, {draw(num)})"
    if choice == 6:
        fn = draw(st.sampled_from(["UPPER", "LOWER", "TRIM"]))
        return f"{fn}({draw(sub)})"
    if choice == 7:
        return f"SUBSTITUTE({draw(sub)}, {draw(g.text_literals)}, {draw(sub)})"
    if choice == 8:
        return f"CONCAT({draw(sub)}, {draw(num)}, {draw(g.boolean(depth - 1))})"
    arm = _arm(g.text_arms, 9, choice)
    if arm is not None:
        return str(arm(draw, depth))
    return f"IF({draw(g.condition(depth - 1))}, {draw(sub)}, {draw(sub)})"


@st.composite
def _day(draw: Any, g: Grammar, depth: int) -> str:
    leaves = [st.sampled_from(DATE_FIELDS)]
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
    arm = _arm(g.day_arms, 5, choice)
    if arm is not None:
        return str(arm(draw, depth))
    sub = g.day(depth - 1)
    return f"IF({draw(g.condition(depth - 1))}, {draw(sub)}, {draw(sub)})"


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
    arm = _arm(g.boolean_arms, 13, choice)
    if arm is not None:
        return str(arm(draw, d, op))
    # an error in a boolean: (1 / 0) > 1 and the like
    if not g.iferror_truth or draw(st.booleans()):
        first = f"({draw(number(d))} / {draw(st.sampled_from(NUMBERISH))} > 1)"
    else:
        first = draw(truth(d))
    return f"IFERROR({first}, {draw(truth(d))})"
