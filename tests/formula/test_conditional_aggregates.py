"""SUMIF, COUNTIF, AVERAGEIF, MINIF, MAXIF over a relation, and MIN/MAX of dates: the type
checker, both back ends on both databases, and random rows and conditions (SQL == Python)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cairn.core import render
from cairn.formula import DATE, DATETIME, NUMBER, ErrorValue, Formula, FormulaError
from support.formula import (
    ENV,
    RESOLVER,
    env_with_calendar,
    orders,
    rec,
    run_both,
    setup_database,
    visits,
)

E = ErrorValue


# -- the type checker ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "type_"),
    [
        ("SUMIF({订单.金额}, {订单.金额} > 10)", NUMBER),
        ('SUMIF({订单.金额}, {订单.日期} >= DATEADD(TODAY(), -12, "months"))', NUMBER),
        ("COUNTIF({订单}, {订单.日期} >= TODAY() - 90)", NUMBER),
        ('COUNTIF({订单.备注}, {订单.备注} = "x")', NUMBER),
        ("AVERAGEIF({订单.金额}, {订单.已付款})", NUMBER),
        ("MINIF({订单.金额}, {订单.金额} > {数量})", NUMBER),
        ("MAXIF({订单.日期}, {订单.已付款})", DATE),
        ("MINIF({订单.时间}, TRUE)", DATETIME),
        ("MAX({拜访.日期})", DATE),
        ("MIN({订单.时间})", DATETIME),
        ("DAYS(TODAY(), MAX({拜访.日期}))", NUMBER),
        ('sumif({orders.amount}, {orders.note} = "x")', NUMBER),
    ],
)
def test_result_types(text: str, type_: object) -> None:
    assert Formula.compile(text, RESOLVER).type == type_


@pytest.mark.parametrize(
    ("text", "key", "en", "zh"),
    [
        (
            "COUNTIF({订单}, {拜访.日期} > TODAY())",
            "formula.condition_relation",
            "column 15: the condition may read the rows of {订单} (as {订单.field}) and this "
            "record's fields, not {拜访.日期}.",
            "第 15 列：条件只能读取 {订单} 的行（写作 {订单.字段}）和本记录的字段，不能读取 {拜访.日期}。",
        ),
        (
            "SUMIF({订单.金额}, COUNT({订单}) > 1)",
            "formula.condition_relation",
            "column 22: the condition may read the rows of {订单} (as {订单.field}) and this "
            "record's fields, not {订单}.",
            "第 22 列：条件只能读取 {订单} 的行（写作 {订单.字段}）和本记录的字段，不能读取 {订单}。",
        ),
        (
            "SUMIF({订单.金额}, COUNTIF({拜访}, TRUE) > 1)",
            "formula.condition_nested",
            "column 16: COUNTIF cannot be used inside the condition of another conditional "
            "aggregate.",
            "第 16 列：COUNTIF 不能用在另一个条件汇总函数的条件中。",
        ),
        (
            "SUMIF({订单}, TRUE)",
            "formula.arg_type.list",
            "column 7: SUMIF expects a relation's field such as {orders.amount} as argument 1",
            "第 7 列: SUMIF 的第 1 个参数应为关联字段，如 {订单.金额}",
        ),
        (
            "SUMIF({数量}, TRUE)",
            "formula.arg_type.list",
            "column 7: SUMIF expects a relation's field such as {orders.amount} as argument 1",
            "第 7 列: SUMIF 的第 1 个参数应为关联字段，如 {订单.金额}",
        ),
        (
            "SUMIF({订单.备注}, TRUE)",
            "formula.arg_type.number",
            "column 7: SUMIF expects a number as argument 1",
            "第 7 列: SUMIF 的第 1 个参数应为数字",
        ),
        (
            "COUNTIF({订单}, {订单.备注})",
            "formula.arg_type.boolean",
            "column 15: COUNTIF expects TRUE/FALSE as argument 2",
            "第 15 列: COUNTIF 的第 2 个参数应为 TRUE/FALSE",
        ),
        (
            "COUNTIF({订单}, TRUE, 1)",
            "formula.arity",
            "column 1: COUNTIF does not take 3 arguments.",
            "第 1 列：COUNTIF 不接受 3 个参数。",
        ),
        (
            "COUNTIF({订单.金额} > 1)",
            None,
            None,
            None,
        ),
        (
            "COUNTIF({订单.日期} > {拜访.日期})",
            "formula.condition_rows",
            "column 9: with one argument, COUNTIF counts the rows of the one relation its "
            'condition reads, such as {投诉.类型} = "严重"; name the rows first: '
            "COUNTIF({relation}, condition).",
            '第 9 列：只有一个参数时，COUNTIF 统计条件所读取的那一个关联的行，如 {投诉.类型} = "严重"；'
            "否则请先写出要统计的行：COUNTIF({关联}, 条件)。",
        ),
        (
            "COUNTIF(TRUE)",
            "formula.condition_rows",
            "column 9: with one argument, COUNTIF counts the rows of the one relation its "
            'condition reads, such as {投诉.类型} = "严重"; name the rows first: '
            "COUNTIF({relation}, condition).",
            '第 9 列：只有一个参数时，COUNTIF 统计条件所读取的那一个关联的行，如 {投诉.类型} = "严重"；'
            "否则请先写出要统计的行：COUNTIF({关联}, 条件)。",
        ),
        (
            "COUNTIF({订单})",
            "formula.condition_relation",
            "column 9: the condition may read the rows of {订单} (as {订单.field}) and this "
            "record's fields, not {订单}.",
            "第 9 列：条件只能读取 {订单} 的行（写作 {订单.字段}）和本记录的字段，不能读取 {订单}。",
        ),
        (
            "SUM({订单.日期})",
            "formula.arg_type.number",
            "column 5: SUM expects a number as argument 1",
            "第 5 列: SUM 的第 1 个参数应为数字",
        ),
    ],
)
def test_type_errors_say_what_is_wrong(
    text: str, key: str | None, en: str | None, zh: str | None
) -> None:
    if key is None:  # fine after all (beside the refused ones like it)
        assert Formula.compile(text, RESOLVER).type == NUMBER
        return
    with pytest.raises(FormulaError) as e:
        Formula.compile(text, RESOLVER, location="formula")
    assert e.value.key == key
    m = e.value.field_errors["formula"][0]
    assert render(m, "en") == en
    assert render(m, "zh-CN") == zh


# -- both back ends on fixed rows ------------------------------------------------------------
ROWS = [
    {"id": 1, "n1": Decimal("5"), "d1": date(2025, 6, 1)},
    {"id": 2, "n1": None, "d1": None},  # nothing linked
]
ORDERS = [
    # rec 1: four orders over the last two years (today is 2026-01-05)
    {"rec_id": 1, "amount": Decimal("12000"), "note": "x", "day": date(2025, 3, 1),
     "at": datetime(2025, 3, 1, 9), "paid": True},
    {"rec_id": 1, "amount": Decimal("3.50"), "note": None, "day": date(2024, 11, 30),
     "at": datetime(2024, 11, 30, 23, 30), "paid": False},
    {"rec_id": 1, "amount": None, "note": "x", "day": date(2025, 12, 31),
     "at": None, "paid": None},
    {"rec_id": 1, "amount": Decimal("0.10"), "note": "y", "day": None,
     "at": datetime(2025, 12, 31, 20), "paid": True},
]  # fmt: skip
VISITS = [
    {"rec_id": 1, "day": date(2025, 9, 1), "kind": "上门"},
    {"rec_id": 1, "day": date(2025, 10, 8), "kind": "电话"},
    {"rec_id": 1, "day": None, "kind": "上门"},
]
# formula → (value for record 1, value for record 2)
CASES: dict[str, tuple[Any, Any]] = {
    'SUMIF({订单.金额}, {订单.日期} >= DATEADD(TODAY(), -12, "months"))': (12000.0, 0.0),
    "SUMIF({订单.金额}, {订单.已付款})": (12000.1, 0.0),
    "SUMIF({订单.金额}, NOT({订单.已付款}))": (3.5, 0.0),
    "SUMIF({订单.金额}, {订单.金额} > {数量})": (12000.0, 0.0),
    "SUMIF({订单.金额}, 1 / 0)": (0.0, 0.0),  # an error leaves the row out
    "SUMIF({订单.金额}, {订单.日期} >= {签约日期})": (0.0, 0.0),
    'COUNTIF({订单}, {订单.备注} = "x")': (2.0, 0.0),
    'COUNTIF({订单.备注} = "x")': (2.0, 0.0),
    'COUNTIF(AND({订单.备注} = "x", {订单.日期} > {签约日期}))': (1.0, 0.0),
    'COUNTIF({拜访.方式} = "上门")': (2.0, 0.0),
    'COUNTIF({订单.金额}, {订单.备注} = "x")': (1.0, 0.0),
    "COUNTIF({订单}, {订单.日期} >= TODAY() - 90)": (1.0, 0.0),
    "COUNTIF({订单}, ISBLANK({订单.日期}))": (1.0, 0.0),
    'COUNTIF({拜访}, {拜访.方式} = "上门")': (2.0, 0.0),
    "AVERAGEIF({订单.金额}, {订单.已付款})": (6000.05, E("#DIV/0!")),
    "AVERAGEIF({订单.金额}, FALSE)": (E("#DIV/0!"), E("#DIV/0!")),
    "MINIF({订单.金额}, {订单.金额} > 1)": (3.5, 0.0),
    "MAXIF({订单.金额}, {订单.金额} < 100)": (3.5, 0.0),
    "MAXIF({订单.日期}, {订单.已付款})": (date(2025, 3, 1), None),
    "MINIF({订单.时间}, {订单.已付款})": (datetime(2025, 3, 1, 17), None),  # +8 h
    'MAXIF({拜访.日期}, {拜访.方式} = "上门")': (date(2025, 9, 1), None),
    "MAX({拜访.日期})": (date(2025, 10, 8), None),
    "MIN({订单.日期})": (date(2024, 11, 30), None),
    "MAX({订单.时间})": (datetime(2026, 1, 1, 4), None),
    "DAYS(TODAY(), MAX({拜访.日期}))": (89.0, None),
    'DAYS(TODAY(), MAXIF({拜访.日期}, {拜访.方式} = "上门")) > 90': (True, False),
    "ISBLANK(MAX({拜访.日期}))": (False, True),
    "MAX({订单.金额})": (12000.0, 0.0),
    'AND(SUMIF({订单.金额}, {订单.日期} >= DATEADD(TODAY(), -12, "months")) > 10000, '
    "DAYS(TODAY(), MAX({拜访.日期})) > 60)": (True, False),
}


def _load(engine: sa.Engine, rows: list[dict[str, Any]], ords: list[Any], vis: list[Any]) -> None:
    with engine.begin() as conn:
        for t in (orders, visits, rec):
            conn.execute(t.delete())
        conn.execute(rec.insert(), rows)
        cols = ("rec_id", "amount", "note", "day", "at", "paid")
        if ords:
            conn.execute(orders.insert(), [{c: o.get(c) for c in cols} for o in ords])
        if vis:
            conn.execute(visits.insert(), vis)


def test_both_back_ends_give_the_documented_values(db_url: str) -> None:
    engine = setup_database(db_url)
    try:
        _load(engine, ROWS, ORDERS, VISITS)
        for text, expected in CASES.items():
            got = run_both(engine, text, ENV)
            for (py, sql), want in zip(got, expected, strict=True):
                assert py == want, (text, py, want)
                assert sql == want, (text, sql, want)
                assert type(sql) is type(want), (text, sql)
    finally:
        engine.dispose()


# -- random rows and conditions: SQL == Python --------------------------------------------------
DAYS = st.one_of(st.none(), st.dates(date(2024, 6, 1), date(2026, 6, 1)))
ORDER = st.fixed_dictionaries(
    {
        "amount": st.one_of(
            st.none(), st.decimals(min_value=-(10**4), max_value=10**4, places=2, allow_nan=False)
        ),
        "note": st.sampled_from([None, "x", "X", "y", ""]),
        "day": DAYS,
        "at": st.one_of(
            st.none(),
            st.datetimes(datetime(2024, 6, 1), datetime(2026, 6, 1)).map(
                lambda d: d.replace(microsecond=0)
            ),
        ),
        "paid": st.one_of(st.none(), st.booleans()),
    }
)
VISIT = st.fixed_dictionaries({"day": DAYS, "kind": st.sampled_from([None, "上门", "电话"])})
RECORD = st.fixed_dictionaries(
    {
        "n1": st.one_of(st.none(), st.sampled_from([Decimal("0"), Decimal("5"), Decimal("-2.5")])),
        "d1": st.one_of(st.none(), st.dates(date(2024, 6, 1), date(2026, 6, 1))),
        "orders": st.lists(ORDER, max_size=4),
        "visits": st.lists(VISIT, max_size=3),
    }
)

ORDER_CONDITIONS = [
    "{订单.金额} > {数量}",
    "{订单.金额} < 0",
    '{订单.备注} = "x"',
    "ISBLANK({订单.备注})",
    "{订单.已付款}",
    "NOT({订单.已付款})",
    "{订单.日期} >= TODAY() - 90",
    '{订单.日期} >= DATEADD(TODAY(), -12, "months")',
    "{订单.日期} > {签约日期}",
    "{订单.时间} < NOW()",
    "DAYS(TODAY(), {订单.日期}) < 200",
    "{订单.金额} / {数量} > 1",  # #DIV/0! when 数量 is blank or 0: the row is left out
    "{订单.金额}",  # a number as a condition: TRUE unless 0 or blank
    'IF({订单.已付款}, {订单.金额} > 100, {订单.备注} = "y")',
]
VISIT_CONDITIONS = ['{拜访.方式} = "上门"', "{拜访.日期} < TODAY() - 30", "ISBLANK({拜访.方式})"]


@st.composite
def conditional_formulas(draw: Any) -> str:
    if draw(st.booleans()):
        cond = draw(st.sampled_from(ORDER_CONDITIONS))
        if draw(st.booleans()):
            other = draw(st.sampled_from(ORDER_CONDITIONS))
            cond = f"{draw(st.sampled_from(['AND', 'OR']))}({cond}, {other})"
        fn = draw(st.sampled_from(["SUMIF", "AVERAGEIF", "MINIF", "MAXIF", "COUNTIF"]))
        field = draw(
            st.sampled_from(
                ["{订单}"]
                if fn == "COUNTIF" and draw(st.booleans())
                else ["{订单.金额}", "{订单.已付款}"]
                + (["{订单.日期}", "{订单.时间}"] if fn in ("MINIF", "MAXIF") else [])
                + (["{订单.备注}", "{订单.日期}"] if fn == "COUNTIF" else [])
            )
        )
    else:
        cond = draw(st.sampled_from(VISIT_CONDITIONS))
        fn = draw(st.sampled_from(["COUNTIF", "MINIF", "MAXIF"]))
        field = "{拜访}" if fn == "COUNTIF" else "{拜访.日期}"
    out = f"{fn}({field}, {cond})"
    if fn == "COUNTIF" and draw(st.booleans()):
        out = f"COUNTIF({cond})"  # the rows of the relation the condition reads
    wrap = draw(st.sampled_from(["", "days", "cmp"]))
    if wrap == "days" and fn in ("MINIF", "MAXIF") and "日期" in field:
        return f"DAYS(TODAY(), {out})"
    if wrap == "cmp" and "日期" not in field and "时间" not in field:
        return f"{out} > 1"
    return out


def _rows(records: list[dict[str, Any]]) -> tuple[list[Any], list[Any], list[Any]]:
    rows, ords, vis = [], [], []
    for i, r in enumerate(records, start=1):
        rows.append({"id": i, "n1": r["n1"], "d1": r["d1"]})
        ords += [{"rec_id": i, **o} for o in r["orders"]]
        vis += [{"rec_id": i, **v} for v in r["visits"]]
    return rows, ords, vis


def test_sql_and_python_agree_on_random_rows_and_conditions(db_url: str) -> None:
    engine = setup_database(db_url)
    env = env_with_calendar()

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(conditional_formulas(), st.lists(RECORD, min_size=1, max_size=3))
    def check(text: str, records: list[dict[str, Any]]) -> None:
        _load(engine, *_rows(records))
        for py, sql in run_both(engine, text, env):
            assert py == sql, (text, py, sql)
            assert type(py) is type(sql), (text, py, sql)

    try:
        check()
    finally:
        engine.dispose()
