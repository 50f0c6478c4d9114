"""Differential tests: random well-typed formulas over random records give exactly the same
value (or the same error) in Python and in SQL, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cairn.formula import Formula, FormulaError
from support.formula import (
    RESOLVER,
    SOURCE,
    env_with_calendar,
    orders,
    rec,
    run_both,
    setup_database,
    sql_env,
)
from support.formula_strategies import Grammar, maybe, q

TEXTS = ["", "a", "A", "abc", "ABC", " x  y ", "客户", "12", " 1.5 ", "VIP", 'q"q', "a-b-c"]


number_literals = st.one_of(
    st.sampled_from(["0", "1", "2", "2.5", "0.1", "0.2", "3", "10", "100", "1e10", "2.675", "0.5"]),
    st.integers(0, 1000).map(str),
)
text_literals = st.sampled_from(TEXTS).map(q)


@st.composite
def number(draw: Any, depth: int = 3) -> str:
    leaves = [
        number_literals,
        st.sampled_from(["{n1}", "{n2}", "{数量}", "TRUE", "FALSE", "{b1}", "BLANK()"]),
    ]
    if depth <= 0:
        return draw(st.one_of(*leaves))
    sub = number(depth - 1)
    txt = text(depth - 1)
    dte = day(depth - 1)
    choice = draw(st.integers(0, 17))
    if choice <= 3:
        return draw(st.one_of(*leaves))
    if choice == 4:
        op = draw(st.sampled_from(["+", "-", "*", "/", "^"]))
        operand = st.one_of(
            sub, boolean(depth - 1), st.sampled_from(['"2"', '" 3.5 "', '"a"', '""'])
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
        fn = draw(st.sampled_from(["SUM", "AVERAGE", "MIN", "MAX", "COUNT"]))
        return f"{fn}({{orders.amount}})" if fn != "COUNT" else "COUNT({orders})"
    if choice == 11:
        return f"IF({draw(condition(depth - 1))}, {draw(sub)}, {draw(sub)})"
    if choice == 12:
        fn = draw(st.sampled_from(["LEN", "VALUE"]))
        return f"{fn}({draw(txt)})"
    if choice == 13:
        fn = draw(st.sampled_from(["YEAR", "MONTH", "DAY"]))
        return f"{fn}({draw(dte)})"
    if choice == 14:
        unit = draw(st.sampled_from(["d", "m", "y", "md", "ym", "yd"]))
        return f'DATEDIF({draw(dte)}, {draw(dte)}, "{unit}")'
    if choice == 15:
        return f"DAYS({draw(dte)}, {draw(dte)})"
    if choice == 16:
        return f"WORKDAYS({draw(dte)}, {draw(dte)})"
    return f"IFERROR({draw(sub)}, {draw(sub)})"


@st.composite
def text(draw: Any, depth: int = 3) -> str:
    leaves = [text_literals, st.sampled_from(["{t1}", "{t2}", "{名称}"])]
    if depth <= 0:
        return draw(st.one_of(*leaves))
    sub = text(depth - 1)
    num = number(depth - 1)
    choice = draw(st.integers(0, 11))
    if choice <= 2:
        return draw(st.one_of(*leaves))
    if choice == 3:
        part = st.one_of(sub, num, boolean(depth - 1))
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
        return f"SUBSTITUTE({draw(sub)}, {draw(text_literals)}, {draw(sub)})"
    if choice == 8:
        fmt = draw(st.sampled_from(["0", "0.00", "#,##0", "#,##0.0", "0%", "0.0%"]))
        return f'TEXT({draw(num)}, "{fmt}")'
    if choice == 9:
        fmt = draw(st.sampled_from(["yyyy-mm-dd", "yyyy年m月d日", "yy/m/d"]))
        return f'TEXT({draw(day(depth - 1))}, "{fmt}")'
    if choice == 10:
        return f"CONCAT({draw(sub)}, {draw(num)}, {draw(boolean(depth - 1))})"
    return f"IF({draw(condition(depth - 1))}, {draw(sub)}, {draw(sub)})"


GRAMMAR = Grammar(
    number,
    text,
    units=["days", "weeks", "months", "years"],
    boolean_leaves=["{b1}", "TRUE", "FALSE", "TRUE()", "FALSE()", "ISBLANK({t1})", "ISBLANK({d1})"],
    day_arms=[lambda draw, depth: f"WORKDAY({draw(day(depth - 1))}, {draw(st.integers(-30, 30))})"],
    iferror_truth=True,
)
day, condition, truth, boolean = GRAMMAR.day, GRAMMAR.condition, GRAMMAR.truth, GRAMMAR.boolean

formulas = st.one_of(number(2), text(2), day(2), boolean(2), number(3))

records = st.fixed_dictionaries(
    {
        "n1": maybe(st.decimals(min_value=-(10**6), max_value=10**6, places=4, allow_nan=False)),
        "n2": maybe(st.sampled_from([0.0, 0.1, 2.5, -3.75, 1e-3, 123456.789, 1e15, -0.5])),
        "t1": maybe(st.sampled_from(TEXTS)),
        "t2": maybe(st.sampled_from(TEXTS)),
        "b1": maybe(st.booleans()),
        "d1": maybe(st.dates(date(2020, 1, 1), date(2030, 12, 31))),
        "d2": maybe(st.dates(date(2020, 1, 1), date(2030, 12, 31))),
        "dt1": maybe(
            st.datetimes(datetime(2020, 1, 1), datetime(2030, 12, 31)).map(
                lambda d: d.replace(microsecond=0)
            )
        ),
        "orders": st.lists(
            maybe(st.decimals(min_value=-(10**5), max_value=10**5, places=2, allow_nan=False)),
            max_size=3,
        ),
    }
)


def _load(engine: sa.Engine, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        conn.execute(orders.delete())
        conn.execute(rec.delete())
        order_rows = []
        for i, row in enumerate(rows, start=1):
            values = {k: v for k, v in row.items() if k != "orders"}
            conn.execute(rec.insert(), {"id": i, **values})
            order_rows += [{"rec_id": i, "amount": a, "note": None} for a in row["orders"]]
        if order_rows:
            conn.execute(orders.insert(), order_rows)


def _negated(engine: sa.Engine, formula: str, env: Any) -> list[Any]:
    """NOT over the formula's SQL value, per record (what a TRUE/FALSE display, a filter on a
    formula field or a ``not`` filter node do with it): it must negate the whole value."""
    c = Formula.compile(formula, RESOLVER).to_sql(SOURCE, sql_env(engine, env))
    query = sa.select(sa.not_(c.value)).select_from(rec).order_by(rec.c.id)
    with engine.connect() as conn:
        return [None if v is None else bool(v) for v in conn.execute(query).scalars()]


def _check_all(engine: sa.Engine, env: Any) -> Any:
    def check(formula: str, rows: list[dict[str, Any]]) -> None:
        _load(engine, rows)
        try:
            results = run_both(engine, formula, env)
        except FormulaError as e:
            # Too deep for SQLite's parser: refused when the formula is saved, never run.
            assert e.key == "formula.too_complex"
            return
        for py, sql in results:
            assert py == sql, (formula, py, sql)
        if any(isinstance(py, bool) for py, _ in results):
            negated = _negated(engine, formula, env)
            for (py, _), neg in zip(results, negated, strict=True):
                if isinstance(py, bool):
                    assert neg is (not py), (formula, py, neg)

    return check


def bounded(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def test_python_and_sql_agree_on_random_formulas(db_url: str) -> None:
    engine = setup_database(db_url)
    check = _check_all(engine, env_with_calendar())
    try:
        given(formulas, st.lists(records, min_size=1, max_size=3))(bounded(120)(check))()
    finally:
        engine.dispose()


def test_python_and_sql_agree_on_random_conditions(db_url: str) -> None:
    """AND, OR, NOT, IF, IFS, SWITCH … with booleans, blanks and numbers in every argument
    position (issue 14: AND(FALSE, TRUE) read as blank through SQL)."""
    engine = setup_database(db_url)
    check = _check_all(engine, env_with_calendar())
    try:
        given(st.one_of(boolean(2), boolean(3)), st.lists(records, min_size=1, max_size=3))(
            bounded(100)(check)
        )()
    finally:
        engine.dispose()
