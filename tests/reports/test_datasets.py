"""Dataset queries on the fixed data set (tests/servicedata.py), on both databases."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from cairn.core import Invalid
from cairn.reports import DatasetSpec, Scope
from cairn.services import Services
from cairn.services.uow import unit_of_work


def rows(svc: Services, **spec: Any) -> list[tuple[list[Any], list[Any]]]:
    out = svc.reports.dataset("svc", {"table": "tickets", **spec})
    return [(r["labels"], r["values"]) for r in out["rows"]]


def test_count_by_select_field_shows_option_labels_in_option_order(svc: Services) -> None:
    got = rows(svc, dimensions=[{"field": "channel"}])
    assert got == [(["PHONE"], [6]), (["WEB"], [3]), (["WECHAT"], [1])]


def test_month_buckets_are_local_time(svc: Services) -> None:
    # t7 opened 2026-01-01 07:00 in Shanghai is 2025-12-31 23:00 UTC: it belongs to January.
    out = svc.reports.dataset(
        "svc", {"table": "tickets", "dimensions": [{"field": "opened_at", "bucket": "month"}]}
    )
    assert [(r["keys"], r["values"]) for r in out["rows"]] == [
        (["2025-12"], [3]),
        (["2026-01"], [7]),
    ]
    assert out["dimensions"][0]["key"] == "opened_at_month"


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("day", [("2025-12-05", 1), ("2025-12-09", 1), ("2025-12-31", 1), ("2026-01-01", 1)]),
        ("week", [("2025-12-01", 1), ("2025-12-08", 1), ("2025-12-29", 4), ("2026-01-05", 1)]),
        ("quarter", [("2025-Q4", 3), ("2026-Q1", 7)]),
        ("year", [("2025", 3), ("2026", 7)]),
    ],
)
def test_other_buckets(svc: Services, unit: str, expected: list[tuple[str, int]]) -> None:
    got = rows(svc, dimensions=[{"field": "opened_at", "bucket": unit}], limit=4)
    assert [(labels[0], values[0]) for labels, values in got] == expected


def test_number_bins_and_blanks(svc: Services) -> None:
    got = rows(svc, dimensions=[{"field": "amount", "bin": 100}])
    assert got == [
        (["0–100"], [3]),
        (["100–200"], [2]),
        (["200–300"], [1]),
        (["400–500"], [1]),
        ([None], [3]),
    ]


def test_relation_and_field_of_the_linked_record(svc: Services) -> None:
    got = rows(
        svc,
        dimensions=[{"field": "customer"}],
        measures=[{"agg": "sum", "field": "amount"}, {"agg": "count"}],
    )
    assert got == [
        (["甲"], [220, 3]),
        (["乙"], [300, 2]),
        (["丙"], [None, 2]),
        (["丁"], [400, 1]),
        (["戊"], [140, 2]),
    ]
    got = rows(
        svc,
        dimensions=[{"field": "customer.province"}],
        sort=[{"key": "count", "direction": "desc"}],
    )
    assert got == [(["广东"], [5]), (["浙江"], [4]), (["北京"], [1])]


def test_every_measure_over_the_whole_table(svc: Services) -> None:
    [(labels, values)] = rows(
        svc,
        measures=[
            {"agg": "count"},
            {"agg": "count", "field": "amount", "key": "with_amount"},
            {"agg": "distinct", "field": "customer"},
            {"agg": "sum", "field": "amount"},
            {"agg": "avg", "field": "amount"},
            {"agg": "min", "field": "amount"},
            {"agg": "max", "field": "amount"},
            {"agg": "median", "field": "amount"},
            {"agg": "percentile", "field": "amount", "p": 0.9, "key": "p90"},
            {"agg": "min", "field": "opened_at", "key": "first"},
        ],
    )
    assert labels == []
    count, with_amount, customers, total, avg, low, high, median, p90, first = values
    assert (count, with_amount, customers, total) == (10, 7, 5, 1060)
    assert avg == pytest.approx(1060 / 7)
    assert (low, high, median) == (50, 400, 100)
    # sorted: 50 60 80 100 120 250 400; position 0.9 × 6 = 5.4 → 250 + 0.4 × 150
    assert p90 == pytest.approx(310)
    assert str(first).startswith("2025-12-05")


def test_percentiles_per_group_and_durations(svc: Services) -> None:
    got = rows(
        svc,
        dimensions=[{"field": "channel"}],
        measures=[
            {"agg": "median", "field": "responded_at", "since": "opened_at", "unit": "hour"},
            {"agg": "avg", "field": "responded_at", "since": "opened_at", "unit": "minute"},
        ],
    )
    # phone: 1, 0.5, 2, 2, 1, 1 h; web: 4, (none), 5 h; wechat: 2 h
    assert [labels for labels, _ in got] == [["PHONE"], ["WEB"], ["WECHAT"]]
    assert [v[0] for _, v in got] == pytest.approx([1, 4.5, 2])
    assert [v[1] for _, v in got] == pytest.approx([7.5 * 60 / 6, 4.5 * 60, 120])


def test_filter_and_conditional_measure(svc: Services) -> None:
    got = rows(
        svc,
        filter={"field": "opened_at", "op": "gte", "value": "2026-01-01"},
        dimensions=[{"field": "kind"}],
        measures=[
            {"agg": "count"},
            {"agg": "count", "key": "resolved", "filter": {"field": "resolved", "op": "eq", "value": True}},
        ],
    )  # fmt: skip
    assert got == [(["SERVICE"], [5, 5]), (["COMPLAINT"], [2, 0])]


def test_pivot_rows_by_columns(svc: Services) -> None:
    out = svc.reports.dataset(
        "svc",
        {"table": "tickets", "dimensions": [{"field": "channel"}], "columns": [{"field": "kind"}]},
    )
    assert [r["labels"] for r in out["rows"]] == [["PHONE"], ["WEB"], ["WECHAT"]]
    assert [c["labels"] for c in out["columns"]] == [["COMPLAINT"], ["SERVICE"]]
    assert out["cells"] == [[[1], [5]], [[2], [1]], [None, [1]]]


def test_drill_down_gives_the_filter_of_the_records_behind_a_cell(svc: Services) -> None:
    spec = {
        "table": "tickets",
        "dimensions": [{"field": "channel"}, {"field": "opened_at", "bucket": "month"}],
    }
    drill = svc.reports.drill("svc", spec, ["web", "2026-01"])
    page = svc.records.query("svc", "tickets", filter=drill["filter"], sort="title")
    assert sorted(r["title"] for r in page["items"]) == ["t2", "t6"]

    spec = {"table": "tickets", "dimensions": [{"field": "customer.province"}]}
    drill = svc.reports.drill("svc", spec, ["浙江"])
    page = svc.records.query("svc", "tickets", filter=drill["filter"])
    assert sorted(r["title"] for r in page["items"]) == ["t10", "t5", "t7", "t9"]

    spec = {"table": "tickets", "dimensions": [{"field": "amount", "bin": 100}]}
    drill = svc.reports.drill("svc", spec, [100])
    page = svc.records.query("svc", "tickets", filter=drill["filter"])
    assert sorted(r["title"] for r in page["items"]) == ["t1", "t8"]
    drill = svc.reports.drill("svc", spec, [None])
    page = svc.records.query("svc", "tickets", filter=drill["filter"])
    assert sorted(r["title"] for r in page["items"]) == ["t2", "t5", "t9"]


def test_row_scope_and_hidden_fields(svc: Services) -> None:
    with svc.engine.connect() as c:
        cat = svc.catalogs.get(c)
    s = cat.table("svc", "tickets")
    phone_only = s.sa_table.c[s.by_key["channel"].column_name] == "phone"
    scope = Scope(where={s.id: phone_only}, hidden={s.id: {"amount"}})

    def dataset(spec: dict) -> dict:
        with unit_of_work(svc, write=False) as uow:
            builder = svc.reports.builder(uow, "svc", "tickets", scope)
            return builder.run(uow.conn, DatasetSpec.model_validate(spec)).to_json()

    out = dataset({"table": "tickets", "dimensions": [{"field": "kind"}]})
    assert [(r["labels"], r["values"]) for r in out["rows"]] == [
        (["SERVICE"], [5]),
        (["COMPLAINT"], [1]),
    ]
    for spec in (
        {"measures": [{"agg": "sum", "field": "amount"}]},
        {"dimensions": [{"field": "amount", "bin": 10}]},
        {"filter": {"field": "amount", "op": "gt", "value": 1}},
    ):
        with pytest.raises(Invalid):
            dataset({"table": "tickets", **spec})
    assert isinstance(phone_only, sa.ColumnElement)


def test_formula_measures_compute_over_aggregates_in_sql(svc: Services) -> None:
    f = {"agg": "formula", "key": "avg_amount", "formula": "SUM({金额}) / COUNT()"}
    got = rows(svc, dimensions=[{"field": "kind"}], measures=[f, {"agg": "count"}])
    # service: t1 t3 t4 t6 t7 t8 t10 = 100+250+50+400+80+120+60 = 1060 over 7 tickets;
    # complaints have no amount: a blank sum is 0 in a formula, as in a spreadsheet.
    assert got[0][0] == ["SERVICE"] and got[0][1][0] == pytest.approx(1060 / 7)
    assert got[1][0] == ["COMPLAINT"] and got[1][1] == [0, 3]

    share = {
        "agg": "formula",
        "formula": "ROUND(100 * MAX({amount}) / SUM({amount}), 1)",
        "filter": {"field": "channel", "op": "eq", "value": "phone"},
    }
    # phone tickets with amounts: 100, 250, 80, 120, 60 = 610; the largest is 250.
    assert rows(svc, measures=[share]) == [([], [round(100 * 250 / 610, 1)])]

    spread = {
        "agg": "formula",
        "formula": "PERCENTILE({amount}, 0.5) - MEDIAN({amount}) + COUNTD({asset})",
    }
    assert rows(svc, measures=[spread]) == [([], [5])]  # assets A1…A5


def test_formula_measure_errors_are_blank_cells(svc: Services) -> None:
    f = {"agg": "formula", "formula": "SUM({金额}) / (COUNT() - COUNT())"}
    assert rows(svc, measures=[f]) == [([], [None])]


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("{金额} * 2", "report.formula_bare_field"),
        ("SUM({金额} * 2)", "report.formula_aggregate_args"),
        ("PERCENTILE({金额}, 2)", "report.formula_aggregate_args"),
        ("1 + 2", "report.formula_no_aggregate"),
        ('IF(COUNT() > 1, "many", "few")', "report.formula_not_number"),
        ("SUM({nope})", "field.unknown"),
        ("SUM({channel})", "report.measure_type"),
        ("__import__('os')", None),
    ],
)
def test_bad_formula_measures_are_refused_with_the_reason(
    svc: Services, formula: str, message: str | None
) -> None:
    with pytest.raises(Invalid) as e:
        rows(svc, measures=[{"agg": "formula", "formula": formula}])
    keys = [m.key for msgs in e.value.field_errors.values() for m in msgs]
    assert list(e.value.field_errors) == ["measures.0.formula"]
    if message is not None:
        assert keys == [message]


@pytest.mark.parametrize(
    "spec",
    [
        {"dimensions": [{"field": "nope"}]},
        {"dimensions": [{"field": "title", "bucket": "month"}]},
        {"dimensions": [{"field": "title", "bin": 5}]},
        {"measures": [{"agg": "sum", "field": "title"}]},
        {"measures": [{"agg": "sum"}]},
        {"measures": [{"agg": "mode", "field": "nps"}]},
        {"measures": [{"agg": "count"}, {"agg": "count"}]},
        {"sort": [{"key": "nope"}]},
        {"limit": 0},
        {"dimensions": [{"field": "customer.nope"}]},
    ],
)
def test_bad_specs_are_clear_errors(svc: Services, spec: dict[str, Any]) -> None:
    with pytest.raises(Invalid):
        svc.reports.dataset("svc", {"table": "tickets", **spec})


def test_a_relative_date_filter_follows_the_clock_from_one_call_to_the_next(
    svc: Services,
) -> None:
    """Built queries are reused between calls, except when they depend on the day."""
    from datetime import UTC, datetime

    spec = {"filter": {"field": "opened_at", "op": "this_month"}, "measures": [{"agg": "count"}]}
    assert rows(svc, **spec) == [([], [7])]  # January 2026
    assert rows(svc, **spec) == [([], [7])]
    svc.clock.set(datetime(2025, 12, 20, 4, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    assert rows(svc, **spec) == [([], [3])]


def test_a_reused_query_sees_schema_changes(svc: Services) -> None:
    assert rows(svc, dimensions=[{"field": "channel"}])[0] == (["PHONE"], [6])
    fields = svc.schema.get_table("svc", "tickets")["fields"]
    channel = next(f for f in fields if f["key"] == "channel")
    choices = [
        {**c, "value": "电话"} if c["value"] == "PHONE" else c
        for c in channel["options"]["choices"]
    ]
    svc.schema.update_field("svc", "tickets", "channel", {"options": {"choices": choices}})
    assert rows(svc, dimensions=[{"field": "channel"}])[0] == (["电话"], [6])


@pytest.mark.parametrize(
    "spec",
    [
        {"dimensions": [{"field": "channel"}]},
        {"dimensions": [{"field": "opened_at", "bucket": "month"}], "measures": [{"agg": "count"}]},
        {"measures": [{"agg": "sum", "field": "amount"}, {"agg": "avg", "field": "amount"},
                      {"agg": "min", "field": "opened_at"}, {"agg": "max", "field": "opened_at"}]},
        {"dimensions": [{"field": "kind"}], "columns": [{"field": "channel"}]},
    ],
)  # fmt: skip
def test_a_kept_query_answers_the_same_the_second_time(svc: Services, spec: dict) -> None:
    """The second call runs the kept plan's prepared statement: the same rows, values and
    types as the first, built and run through Core."""
    first = svc.reports.dataset("svc", {"table": "tickets", **spec})
    assert first == svc.reports.dataset("svc", {"table": "tickets", **spec})
