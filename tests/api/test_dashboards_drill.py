"""Drill-down through HTTP: every point a widget's data shows can be clicked, and the filter
the drill endpoint gives, passed to the records query API, returns exactly the records
counted at that point — under the dashboard's filters, for each kind of chart."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.services import Services
from servicedata import make_service_app

D = "/api/v1/apps/svc/dashboards"
QUERY = "/api/v1/apps/svc/tables/tickets/records/query"
JAN = {"start": "2026-01-01", "end": "2026-01-31"}


def ds(*dims: dict[str, Any], columns: Any = (), **kw: Any) -> dict[str, Any]:
    return {"table": "tickets", "dimensions": list(dims), "columns": list(columns), **kw}


WIDGETS: list[dict[str, Any]] = [
    {"id": "bar", "type": "bar", "dataset": ds({"field": "channel"})},
    {"id": "two", "type": "bar", "dataset": ds({"field": "channel"}, measures=[{"agg": "count", "key": "all"}, {"agg": "count", "key": "resolved", "filter": {"field": "resolved", "op": "eq", "value": True}}])},
    {"id": "stacked", "type": "stacked_bar", "dataset": ds({"field": "kind"}, {"field": "channel"})},
    {"id": "line", "type": "line", "dataset": ds({"field": "opened_at", "bucket": "week"})},
    {"id": "pie", "type": "pie", "dataset": ds({"field": "stage"})},
    {"id": "funnel", "type": "funnel", "dataset": ds({"field": "stage"})},
    {"id": "map", "type": "china_map", "dataset": ds({"field": "customer.province"})},
    {"id": "table", "type": "table", "dataset": ds({"field": "customer"}, {"field": "resolved"})},
    {"id": "pivot", "type": "pivot", "dataset": ds({"field": "channel"}, columns=[{"field": "kind"}])},
    {"id": "number", "type": "number", "dataset": ds()},
    {"id": "gauge", "type": "gauge", "dataset": ds(measures=[{"agg": "count", "filter": {"field": "kind", "op": "eq", "value": "complaint"}}])},
]  # fmt: skip
FILTERS = [
    {"key": "period", "type": "date_range", "field": "opened_at"},
    {"key": "channel", "type": "field", "field": "channel"},
]


@pytest.fixture
def board(services: Services, client: TestClient) -> Iterator[tuple[TestClient, int]]:
    make_service_app(services)
    r = client.post(D, json={"key": "b", "name": "B", "widgets": WIDGETS, "filters": FILTERS})
    assert r.status_code == 201, r.text
    yield client, r.json()["id"]


Click = tuple[list[list[Any]], Any, str | None]


def clicks(kind: str, data: dict[str, Any]) -> list[Click]:
    """Everything a user can click in a widget's data: (the points it stands for, its value,
    the measure clicked), read as the web UI reads them. A map province stands for every value
    merged into it."""
    out: list[Click] = []
    if kind in ("bar", "line", "stacked_bar"):
        for s in data["series"]:
            for i, value in enumerate(s["data"]):
                if value is None:
                    continue
                key = [data["x_keys"][i]] + ([s["key"]] if "key" in s else [])
                out.append(([key], value, s.get("measure")))
    elif kind in ("pie", "funnel"):
        out = [([d["keys"]], d["value"], None) for d in data["series"][0]["data"]]
    elif kind == "china_map":
        out = [(d["points"], d["value"], None) for d in data["series"][0]["data"]]
        out += [(d["points"], d["value"], None) for d in data["unmatched"]]
    elif kind == "table":
        rows = zip(data["row_keys"], data["rows"], strict=True)
        out = [([k], row[-1], None) for k, row in rows]
    elif kind == "pivot":
        for r, row in enumerate(data["rows"]):
            for c, col in enumerate(data["columns"]):
                cell = data["cells"][r][c]
                if cell is not None:
                    out.append(([row["keys"] + col["keys"]], cell[0], None))
    elif kind == "number":
        out = [([data["keys"]], data["value"], None)]
    elif kind == "gauge":
        out = [([data["keys"]], data["series"][0]["data"][0]["value"], None)]
    return out


def titles(c: TestClient, drill: dict[str, Any]) -> list[str]:
    assert drill["table"] == "tickets"
    r = c.post(QUERY, json={"filter": drill["filter"], "limit": 200})
    assert r.status_code == 200, r.text
    return sorted(x["title"] for x in r.json()["items"])


@pytest.mark.parametrize(
    "values",
    [
        pytest.param({}, id="no-filter"),
        pytest.param({"period": ["2026-01-01", "2026-01-31"], "channel": "phone"}, id="filtered"),
    ],
)
def test_every_point_drills_into_exactly_the_records_it_counts(
    board: tuple[TestClient, int], values: dict[str, Any]
) -> None:
    c, board_id = board
    data = c.get(f"{D}/{board_id}/data", params={"filters": json.dumps(values)}).json()["widgets"]
    seen = 0
    for w in WIDGETS:
        got = data[w["id"]]
        assert "error" not in got, got
        for pts, value, measure in clicks(w["type"], got["data"]):
            body = {"points": pts, "values": values, "measure": measure}
            r = c.post(f"{D}/{board_id}/widgets/{w['id']}/drill", json=body)
            assert r.status_code == 200, r.text
            assert len(titles(c, r.json())) == value, (w["id"], pts)
            seen += 1
    assert seen > 20


def test_a_bar_opens_its_records_under_the_dashboard_filters(
    board: tuple[TestClient, int],
) -> None:
    c, board_id = board
    values = {"period": ["2026-01-01", "2026-01-31"]}
    r = c.post(f"{D}/{board_id}/widgets/bar/drill", json={"points": [["phone"]], "values": values})
    assert titles(c, r.json()) == ["t1", "t3", "t5", "t7"]  # t8 and t10 are December's
    # Several points: their records together (two slices of the pie).
    r = c.post(f"{D}/{board_id}/widgets/pie/drill", json={"points": [["lead"], ["won"]]})
    assert titles(c, r.json()) == ["t1", "t10", "t3", "t5", "t6", "t8", "t9"]
    # The second series of a chart of two measures: the records that measure counts.
    body = {"points": [["phone"]], "measure": "resolved"}
    r = c.post(f"{D}/{board_id}/widgets/two/drill", json=body)
    assert titles(c, r.json()) == ["t1", "t10", "t3", "t7", "t8"]


def test_a_kpi_widget_drills_into_its_records_in_its_period(
    services: Services, client: TestClient
) -> None:
    make_service_app(services)
    tickets = {"table": "tickets", "date_field": "opened_at", "period": JAN}
    rate = {"key": "resolution_rate", "params": {**tickets, "match_filter": {"field": "resolved", "op": "eq", "value": True}, "split": {"field": "kind"}}}  # fmt: skip
    widgets = [
        {"id": "rate", "type": "bar", "kpi": rate},
        {"id": "card", "type": "number", "kpi": {**rate, "params": {**rate["params"], "split": None}}},
        {"id": "funnel", "type": "funnel", "kpi": {"key": "funnel_conversion", "params": {**tickets, "stage_field": "stage"}}},
    ]  # fmt: skip
    r = client.post(D, json={"key": "k", "name": "K", "widgets": widgets, "filters": FILTERS})
    assert r.status_code == 201, r.text
    board_id = r.json()["id"]
    data = client.get(f"{D}/{board_id}/data").json()["widgets"]
    assert data["rate"]["data"]["x_keys"] == ["service", "complaint"]
    assert [d["keys"] for d in data["funnel"]["data"]["series"][0]["data"]] == [[0], [1], [2], [3]]

    def drill(widget: str, pts: list[Any], values: Any = None) -> list[str]:
        body = {"points": pts, "values": values or {}}
        r = client.post(f"{D}/{board_id}/widgets/{widget}/drill", json=body)
        assert r.status_code == 200, r.text
        return titles(client, r.json())

    # January's services (t5 and t2 are complaints; t8–t10 are December's).
    assert drill("rate", [["service"]]) == ["t1", "t3", "t4", "t6", "t7"]
    # The card: every record of its period; a dashboard period replaces the KPI's own.
    assert drill("card", [[]]) == ["t1", "t2", "t3", "t4", "t5", "t6", "t7"]
    assert drill("card", [[]], {"period": ["2025-12-01", "2025-12-31"]}) == ["t10", "t8", "t9"]
    # A funnel stage: the records that reached it (contacted or later).
    assert drill("funnel", [[1]]) == ["t1", "t2", "t3", "t4", "t6", "t7"]
    r = client.post(f"{D}/{board_id}/widgets/funnel/drill", json={"points": [[9]]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "points.0"


def test_bad_drills_are_refused(board: tuple[TestClient, int]) -> None:
    c, board_id = board
    r = c.post(f"{D}/{board_id}/widgets/stacked/drill", json={"points": [["service"]]})
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["points.0"]
    assert c.post(f"{D}/{board_id}/widgets/nope/drill", json={"points": []}).status_code == 404
    assert c.post(f"{D}/999/widgets/bar/drill", json={"points": []}).status_code == 404
    r = c.post(f"{D}/{board_id}/widgets/two/drill", json={"points": [["web"]], "measure": "x"})
    assert r.status_code == 422


def test_an_unsaved_widget_drills_as_a_saved_one(board: tuple[TestClient, int]) -> None:
    c, board_id = board
    values = {"period": ["2026-01-01", "2026-01-31"]}
    [stacked] = [w for w in WIDGETS if w["id"] == "stacked"]
    body = {
        "widget": stacked,
        "filters": FILTERS,
        "values": values,
        "points": [["service", "phone"]],
    }
    preview = c.post(f"{D}/preview/drill", json=body)
    assert preview.status_code == 200, preview.text
    saved = c.post(
        f"{D}/{board_id}/widgets/stacked/drill",
        json={"points": [["service", "phone"]], "values": values},
    )
    assert preview.json() == saved.json()
    assert titles(c, preview.json()) == ["t1", "t3", "t7"]
