"""Drill-down from a widget's points, on every kind of dimension: the filter the drill gives,
run by the records query, selects exactly the records counted at that point (SQLite and
PostgreSQL, on the fixed after-sales data set)."""

from __future__ import annotations

from typing import Any

import pytest

from cairn.core import Invalid
from cairn.reports.dashboards import WidgetSpec
from cairn.services import Services


def table_widget(*dims: dict[str, Any], **dataset: Any) -> WidgetSpec:
    return WidgetSpec.model_validate(
        {
            "id": "w",
            "type": "table",
            "dataset": {"table": "tickets", "dimensions": list(dims), **dataset},
        }
    )


def records(svc: Services, filter: Any) -> list[str]:
    out = svc.records.query("svc", "tickets", filter=filter, limit=200)
    return sorted(r["title"] for r in out["items"])


def counted(svc: Services, w: WidgetSpec) -> list[tuple[list[Any], Any]]:
    """(the row's keys, its first value) per row of a table widget's preview."""
    data = svc.dashboards.preview("svc", w)["data"]
    return [(keys, row[-1]) for keys, row in zip(data["row_keys"], data["rows"], strict=True)]


@pytest.mark.parametrize(
    "dims",
    [
        pytest.param([{"field": "channel"}], id="select"),
        pytest.param([{"field": "resolved"}], id="boolean"),
        pytest.param([{"field": "customer"}], id="relation"),
        pytest.param([{"field": "customer.province"}], id="field-of-linked-record"),
        pytest.param([{"field": "opened_at", "bucket": "month"}], id="month"),
        pytest.param([{"field": "opened_at", "bucket": "week"}], id="week"),
        pytest.param([{"field": "delivered_at", "bucket": "day"}], id="day-with-blanks"),
        pytest.param([{"field": "amount", "bin": 100}], id="bins-with-blanks"),
        pytest.param([{"field": "asset"}, {"field": "kind"}], id="two-dimensions"),
    ],
)
def test_each_row_drills_into_exactly_its_records(svc: Services, dims: list[Any]) -> None:
    w = table_widget(*dims)
    rows = counted(svc, w)
    assert rows and sum(n for _, n in rows) == 10
    for keys, n in rows:
        drill = svc.dashboards.preview_drill("svc", w, [keys])
        assert drill["table"] == "tickets"
        assert len(records(svc, drill["filter"])) == n, keys


def test_several_points_are_their_records_together(svc: Services) -> None:
    w = table_widget({"field": "channel"})
    drill = svc.dashboards.preview_drill("svc", w, [["web"], ["wechat"]])
    assert records(svc, drill["filter"]) == ["t2", "t4", "t6", "t9"]


def test_a_conditional_measure_drills_into_the_records_it_counts(svc: Services) -> None:
    measures = [{"agg": "count", "filter": {"field": "resolved", "op": "eq", "value": True}}]
    w = table_widget({"field": "kind"}, measures=measures)
    rows = dict((keys[0], n) for keys, n in counted(svc, w))
    assert rows == {"service": 7, "complaint": 0}
    drill = svc.dashboards.preview_drill("svc", w, [["service"]], measure="count")
    assert len(records(svc, drill["filter"])) == 7
    # A count of a field counts the records where it is not blank.
    w = table_widget({"field": "kind"}, measures=[{"agg": "count", "field": "amount"}])
    assert dict((k[0], n) for k, n in counted(svc, w)) == {"service": 7, "complaint": 0}
    drill = svc.dashboards.preview_drill("svc", w, [["complaint"]])
    assert records(svc, drill["filter"]) == []


def test_a_dashboard_filter_narrows_the_drill_as_it_narrows_the_widget(svc: Services) -> None:
    w = table_widget({"field": "kind"})
    filters = [
        {"key": "period", "type": "date_range", "field": "opened_at"},
        {"key": "channel", "type": "field", "field": "channel"},
    ]
    values = {"period": ["2026-01-01", "2026-01-31"], "channel": "phone"}
    data = svc.dashboards.preview("svc", w, filters, values)["data"]
    assert data["rows"] == [["SERVICE", 3], ["COMPLAINT", 1]]
    drill = svc.dashboards.preview_drill("svc", w, [["service"]], filters, values)
    assert records(svc, drill["filter"]) == ["t1", "t3", "t7"]


def test_a_point_needs_one_key_per_dimension(svc: Services) -> None:
    w = table_widget({"field": "channel"}, columns=[{"field": "kind"}])
    with pytest.raises(Invalid) as e:
        svc.dashboards.preview_drill("svc", w, [["web", "service"], ["web"]])
    assert list(e.value.field_errors) == ["points.1"]
    with pytest.raises(Invalid):
        svc.dashboards.preview_drill("svc", w, [])
