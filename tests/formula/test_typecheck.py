"""The type checker: result types, and errors with the column in zh-CN and en."""

from __future__ import annotations

import pytest

from cairn.core import render
from cairn.formula import (
    BOOLEAN,
    DATE,
    DATETIME,
    DURATION,
    NUMBER,
    TEXT,
    Formula,
    FormulaError,
    SqlEnvironment,
)
from support.formula import RESOLVER


@pytest.mark.parametrize(
    ("text", "type_"),
    [
        ("ROUND({数量} * {单价}, 2)", NUMBER),
        ('{级别} & "!"', TEXT),
        ("{d1} + 1", DATE),
        ("{d2} - {d1}", NUMBER),
        ("{dt1} - {d1}", DURATION),
        ("{dt1} + ({dt1} - {d1})", DATETIME),
        ('DATEADD({d1}, 1, "hours")', DATETIME),
        ('AND({级别} = "VIP", DAYS(TODAY(), {d1}) > 30)', BOOLEAN),
        ("IF({b1}, {d1}, BLANK())", DATE),
        ("SUM({订单.金额})", NUMBER),
    ],
)
def test_result_types_are_inferred(text: str, type_: object) -> None:
    assert Formula.compile(text, RESOLVER).type == type_


@pytest.mark.parametrize(
    ("text", "zh", "en"),
    [
        (
            'DATEADD({d1}, {d1}, "days")',
            "第 15 列: DATEADD 的第 2 个参数应为数字",
            "column 15: DATEADD expects a number as argument 2",
        ),
        (
            "YEAR({数量})",
            "第 6 列: YEAR 的第 1 个参数应为日期",
            "column 6: YEAR expects a date as argument 1",
        ),
        ("{nope} + 1", "第 1 列：没有字段 {nope}。", "column 1: there is no field {nope}."),
        ("FOO(1)", "第 1 列：没有函数 FOO。", "column 1: there is no function FOO."),
        (
            'IF({b1}, 1, "x")',
            "第 13 列：IF 在此返回number，在别处返回text。",
            "column 13: IF returns number here but text there.",
        ),
        ('{d1} = "x"', "第 1 列：不能比较date与text。", "column 1: cannot compare date with text."),
        (
            "SUM({orders.amount}, 1)",
            "第 5 列：SUM 的关联字段参数只能单独使用。",
            "column 5: SUM takes a relation's field as its only argument.",
        ),
        ("{orders.amount}", "第 1 列：公式结果是列表", "column 1: the formula gives a list"),
        ('TEXT(1, "abc")', "第 9 列：未知格式", 'column 9: unknown format "abc"'),
    ],
)
def test_type_errors_are_located_in_both_languages(text: str, zh: str, en: str) -> None:
    from support.formula import ENV, SOURCE

    with pytest.raises(FormulaError) as e:
        f = Formula.compile(text, RESOLVER)
        f.to_sql(SOURCE, SqlEnvironment.of(ENV, "sqlite"))
    m = e.value.field_errors["formula"][0]
    assert render(m, "zh-CN").startswith(zh)
    assert render(m, "en").startswith(en)


def test_errors_can_be_reported_under_another_location() -> None:
    with pytest.raises(FormulaError) as e:
        Formula.compile("1 +", RESOLVER, location="options.formula")
    assert list(e.value.field_errors) == ["options.formula"]


def test_references_are_listed() -> None:
    f = Formula.compile("{数量} * {单价} + {数量} + SUM({订单.金额})", RESOLVER)
    assert f.references == ["数量", "单价", "订单.金额"]
