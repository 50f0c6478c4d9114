"""Random well-typed formulas for the tests that evaluate them two ways (Python against SQL in
``test_differential``, Python against the browser in ``test_browser_eval``): one ``Grammar`` of
numbers, texts, dates, conditions and booleans, nested. Each test gives it the literals and
fields of its records and the further kinds of expression its evaluators implement."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
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


@dataclass(frozen=True, eq=False)  # hashed by identity: its kinds of expression are cached
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


def _call(names: Sequence[str], *args: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """``FN(a, b, …)``: FN one of ``names``, each argument drawn from its strategy."""
    return st.tuples(st.sampled_from(list(names)), *args).map(
        lambda t: f"{t[0]}({', '.join(t[1:])})"
    )


def _infix(
    left: st.SearchStrategy[str], ops: Sequence[str], right: st.SearchStrategy[str]
) -> st.SearchStrategy[str]:
    """``(a op b)``: op one of ``ops``."""
    return st.tuples(st.sampled_from(list(ops)), left, right).map(
        lambda t: f"({t[1]} {t[0]} {t[2]})"
    )


def _drawn(make: Callable[[Any], str]) -> st.SearchStrategy[str]:
    """What ``make(draw)`` writes, as a strategy (a further arm, a kind with draws of its own)."""
    return st.composite(lambda draw: str(make(draw)))()


def _grow(
    draw: Any,
    leaves: Sequence[st.SearchStrategy[str]],
    weight: int,
    kinds: Sequence[st.SearchStrategy[str]],
) -> str:
    """One of ``kinds`` or a leaf (``weight`` times as likely as any one kind)."""
    choice = draw(st.integers(0, weight + len(kinds) - 1))
    return draw(st.one_of(*leaves) if choice < weight else kinds[choice - weight])


@cache
def _number_kinds(g: Grammar, depth: int) -> list[st.SearchStrategy[str]]:
    """The kinds of number expression ``depth`` levels deep (built once)."""
    sub, txt, dte = g.number(depth - 1), g.text(depth - 1), g.day(depth - 1)
    operand = st.one_of(sub, g.boolean(depth - 1), st.sampled_from(['"2"', '" 3.5 "', '"a"', '""']))
    units = st.sampled_from(["d", "m", "y", "md", "ym", "yd"]).map(q)
    return [
        _infix(operand, g.arithmetic, operand),
        sub.map(lambda x: f"-{x}"),
        _call(["ROUND", "ROUNDUP", "ROUNDDOWN"], sub, st.integers(-2, 3).map(str)),
        _call(["ABS", "INT", "SQRT"], sub),
        _call(["MOD"], sub, sub),
        _call(
            ["SUM", "AVERAGE", "MIN", "MAX"], st.lists(sub, min_size=1, max_size=3).map(", ".join)
        ),
        _call(["IF"], g.condition(depth - 1), sub, sub),
        _call(["LEN", "VALUE"], txt),
        _call(["YEAR", "MONTH", "DAY"], dte),
        _call(["DATEDIF"], dte, dte, units),
        _call(["DAYS"], dte, dte),
        *(_drawn(lambda draw, arm=arm: arm(draw, depth)) for arm in g.number_arms),
        _call(["IFERROR"], sub, sub),
    ]


@st.composite
def _number(draw: Any, g: Grammar, depth: int) -> str:
    literals = st.one_of(st.sampled_from(list(g.number_texts)), st.integers(0, 1000).map(str))
    leaves = [literals, st.sampled_from(list(g.number_fields))]
    if depth <= 0:
        return draw(st.one_of(*leaves))
    return _grow(draw, leaves, 4, _number_kinds(g, depth))


@cache
def _text_kinds(g: Grammar, depth: int) -> list[st.SearchStrategy[str]]:
    """The kinds of text expression ``depth`` levels deep (built once)."""
    sub, num, boolean = g.text(depth - 1), g.number(depth - 1), g.boolean(depth - 1)
    part = st.one_of(sub, num, boolean, *(p(depth - 1) for p in g.text_parts))
    return [
        _infix(part, ["&"], part),
        _call(["LEFT", "RIGHT"], sub, num),
        _call(["MID"], sub, num, num),
        _call(["UPPER", "LOWER", "TRIM"], sub),
        _call(["SUBSTITUTE"], sub, g.text_literals, sub),
        _call(["CONCAT"], sub, num, boolean),
        *(_drawn(lambda draw, arm=arm: arm(draw, depth)) for arm in g.text_arms),
        _call(["IF"], g.condition(depth - 1), sub, sub),
    ]


@st.composite
def _text(draw: Any, g: Grammar, depth: int) -> str:
    leaves = [g.text_literals, st.sampled_from(list(g.text_fields))]
    if depth <= 0:
        return draw(st.one_of(*leaves))
    return _grow(draw, leaves, 3, _text_kinds(g, depth))


@cache
def _day_kinds(g: Grammar, depth: int) -> list[st.SearchStrategy[str]]:
    """The kinds of day expression ``depth`` levels deep (built once)."""
    sub, num = g.day(depth - 1), g.number(depth - 1)
    ymd = (st.integers(2020, 2030), st.integers(-2, 14), st.integers(-3, 40))
    return [
        _call(["DATE"], *(n.map(str) for n in ymd)),
        _call(["DATEADD"], sub, num, st.sampled_from(list(g.units)).map(q)),
        _infix(sub, ["+"], num),
        *(_drawn(lambda draw, arm=arm: arm(draw, depth)) for arm in g.day_arms),
        _call(["IF"], g.condition(depth - 1), sub, sub),
    ]


@st.composite
def _day(draw: Any, g: Grammar, depth: int) -> str:
    leaves = [st.sampled_from(DATE_FIELDS)]
    if depth <= 0:
        return draw(st.one_of(*leaves))
    return _grow(draw, leaves, 2, _day_kinds(g, depth))


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
def _switch(draw: Any, g: Grammar, d: int) -> str:
    # Booleans, blanks and numbers compare as numbers (TRUE = 1, blank = 0).
    key = st.one_of(g.condition(d), st.sampled_from(NUMBERISH))
    arms = draw(st.lists(st.tuples(key, g.truth(d)), min_size=1, max_size=3))
    default = [draw(g.truth(d))] if draw(st.booleans()) else []
    parts = [draw(key)] + [f"{k}, {v}" for k, v in arms] + default
    return f"SWITCH({', '.join(parts)})"


@st.composite
def _iferror(draw: Any, g: Grammar, d: int) -> str:
    """An error in a boolean: (1 / 0) > 1 and the like."""
    if not g.iferror_truth or draw(st.booleans()):
        first = f"({draw(g.number(d))} / {draw(st.sampled_from(NUMBERISH))} > 1)"
    else:
        first = draw(g.truth(d))
    return f"IFERROR({first}, {draw(g.truth(d))})"


@cache
def _boolean_kinds(g: Grammar, depth: int) -> list[st.SearchStrategy[str]]:
    """The kinds of boolean expression ``depth`` levels deep (built once)."""
    d = depth - 1
    condition, truth = g.condition(d), g.truth(d)
    and_or = _call(["AND", "OR"], st.lists(condition, min_size=1, max_size=4).map(", ".join))
    ifs = st.lists(st.tuples(condition, truth), min_size=1, max_size=3)
    return [
        _infix(g.number(d), OPERATORS, g.number(d)),
        _infix(g.text(d), OPERATORS, g.text(d)),
        _infix(g.day(d), OPERATORS, g.day(d)),
        and_or,
        and_or,
        _call(["CONTAINS"], g.text(d), g.text(d)),
        _call(["NOT"], condition),
        st.one_of(_call(["IF"], condition, truth), _call(["IF"], condition, truth, truth)),
        _call(["IFS"], ifs.map(lambda arms: ", ".join(f"{c}, {v}" for c, v in arms))),
        _switch(g, d),
        _call(["BLANKVALUE"], truth, truth),
        *(
            _drawn(lambda draw, arm=arm: arm(draw, d, draw(st.sampled_from(OPERATORS))))
            for arm in g.boolean_arms
        ),
        _iferror(g, d),
    ]


@st.composite
def _boolean(draw: Any, g: Grammar, depth: int) -> str:
    leaves = [st.sampled_from(list(g.boolean_leaves))]
    if depth <= 0:
        return draw(st.one_of(*leaves))
    return _grow(draw, leaves, 2, _boolean_kinds(g, depth))
