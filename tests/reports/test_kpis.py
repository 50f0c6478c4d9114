"""Every KPI against numbers computed by hand from tests/servicedata.py, on SQLite and
PostgreSQL. January 2026 (local time) holds t1–t7, December 2025 t8–t10."""

from __future__ import annotations

from typing import Any

import pytest
from pytest import approx

from cairn.core import Invalid
from cairn.services import Services

JAN = {"start": "2026-01-01", "end": "2026-01-31"}
BASE = {"table": "tickets", "date_field": "opened_at", "period": JAN}


def kpi(svc: Services, key: str, **params: Any) -> dict[str, Any]:
    return svc.reports.kpi("svc", key, {**BASE, **params})


def test_nps(svc: Services) -> None:
    # Jan scores 10 3 9 7 0 10 8: promoters 3, detractors 2 of 7. Dec 10 2 9: 2 and 1 of 3.
    out = kpi(svc, "nps", score_field="nps", split={"field": "channel"})
    assert out["value"] == approx(100 / 7)
    assert out["values"]["promoters"] == approx(300 / 7)
    assert out["previous"]["value"] == approx(100 / 3)
    assert out["change"] == approx(100 / 7 - 100 / 3)
    assert out["previous_period"] == {"start": "2025-12-01", "end": "2026-01-01"}
    # phone: 10 9 0 8 → 2 − 1 of 4; web: 3 10 → 1 − 1; wechat: 7 → 0 − 0.
    assert [(g["label"], g["value"]) for g in out["groups"]] == [
        ("PHONE", approx(25)),
        ("WEB", approx(0)),
        ("WECHAT", approx(0)),
    ]


def test_csat(svc: Services) -> None:
    # Jan 5 2 4 3 1 5 4: 4 of 7 are 4–5, mean 24/7. Dec 5 2 4: 2 of 3, mean 11/3.
    out = kpi(svc, "csat", score_field="csat")
    assert out["value"] == approx(400 / 7)
    assert out["values"]["mean"] == approx(24 / 7)
    assert out["previous"]["value"] == approx(200 / 3)
    assert out["previous"]["values"]["mean"] == approx(11 / 3)


def test_churn_rate(svc: Services) -> None:
    # At 2026-01-01: 甲 乙 戊 (丙 left in Dec, 丁 joined in Jan); lost in Jan: 乙 戊 → 2/3.
    # At 2025-12-01: 甲 乙 丙 戊; lost in Dec: 丙 → 1/4.
    out = svc.reports.kpi(
        "svc",
        "churn_rate",
        {
            "table": "customers",
            "date_field": "joined_on",
            "period": JAN,
            "lost_filter": {"field": "churned", "op": "eq", "value": True},
            "lost_at_field": "churned_on",
        },
    )
    assert out["value"] == approx(200 / 3)
    assert (out["values"]["lost"], out["values"]["at_start"]) == (2, 3)
    assert out["previous"]["value"] == approx(25)


def test_first_response_time(svc: Services) -> None:
    # Jan hours 1 4 0.5 2 2 (t6 none) 2: mean 11.5/6; p90 of 0.5 1 2 2 2 4 at 4.5 → 3.
    # Dec 1 5 1: mean 7/3; p90 at 1.8 of 1 1 5 → 1 + 0.8 × 4 = 4.2.
    out = kpi(svc, "first_response_time", response_field="responded_at")
    assert out["value"] == approx(11.5 / 6)
    assert out["values"]["p90"] == approx(3)
    assert out["values"]["responded"] == 6
    assert out["previous"]["value"] == approx(7 / 3)
    assert out["previous"]["values"]["p90"] == approx(4.2)


def test_resolution_rate(svc: Services) -> None:
    out = kpi(svc, "resolution_rate", match_filter={"field": "resolved", "op": "eq", "value": True})
    assert out["value"] == approx(500 / 7)
    assert out["previous"]["value"] == approx(200 / 3)


def test_first_time_fix_rate(svc: Services) -> None:
    # Within 48 h: t1 (A1) has t2 11 h later; t10 (A5) has t7 9 h later. Jan 6/7, Dec 2/3.
    out = kpi(svc, "first_time_fix_rate", asset_field="asset", window_hours=48)
    assert out["value"] == approx(600 / 7)
    assert out["previous"]["value"] == approx(200 / 3)
    # With a 5-hour window nothing is a repeat.
    assert kpi(svc, "first_time_fix_rate", asset_field="asset", window_hours=5)["value"] == 100


def test_average_waiting_time(svc: Services) -> None:
    # opened → delivered, Jan: 27 62 58 24 48 h (t4, t5 not delivered); Dec: 24, 1.5 h.
    out = kpi(svc, "average_waiting_time", start_field="opened_at", end_field="delivered_at")
    assert out["value"] == approx(219 / 5)
    assert out["values"]["median"] == approx(48)
    assert out["previous"]["value"] == approx(12.75)


def test_on_time_delivery_rate(svc: Services) -> None:
    # Jan delivered t1 ✓ t2 ✗ t3 ✓ (on the minute) t6 ✓ t7 ✗; Dec t8 ✓ t10 ✓.
    out = kpi(svc, "on_time_delivery_rate", delivered_field="delivered_at", due_field="due_at")
    assert out["value"] == approx(60)
    assert out["previous"]["value"] == approx(100)


def test_complaint_rate(svc: Services) -> None:
    complaints = {"field": "kind", "op": "eq", "value": "complaint"}
    out = kpi(svc, "complaint_rate", complaints_filter=complaints)
    assert out["value"] == approx(200 / 7)
    assert out["previous"]["value"] == approx(100 / 3)


def test_complaint_rate_across_two_tables(svc: Services) -> None:
    # Complaints counted in the customers table (churned, by churn date) over tickets.
    out = kpi(
        svc,
        "complaint_rate",
        complaints_table="customers",
        complaints_filter={"field": "churned", "op": "eq", "value": True},
        complaints_date_field="churned_on",
    )
    assert out["value"] == approx(200 / 7)  # 乙 and 戊 in January / 7 tickets
    assert out["previous"]["value"] == approx(100 / 3)  # 丙 in December / 3 tickets


def test_customer_lifetime_value(svc: Services) -> None:
    # All time: 甲 220, 乙 300, 丁 400, 戊 140 (丙 paid nothing): 1060 / 4.
    out = svc.reports.kpi(
        "svc",
        "clv",
        {
            "table": "tickets",
            "amount_field": "amount",
            "customer_field": "customer",
            "split": {"field": "customer"},
        },
    )
    assert out["value"] == approx(265)
    assert "previous" not in out
    assert [(g["label"], g["value"]) for g in out["groups"]] == [
        ("甲", approx(220)),
        ("乙", approx(300)),
        ("丙", None),
        ("丁", approx(400)),
        ("戊", approx(140)),
    ]
    # January: 880 over 4 customers; December 180 over 2.
    out = kpi(svc, "clv", amount_field="amount", customer_field="customer")
    assert out["value"] == approx(220)
    assert out["previous"]["value"] == approx(90)


def test_funnel_conversion(svc: Services) -> None:
    # Jan stages: won t1 t3 t6, quoted t2 t7, contacted t4, lead t5 → 7, 6, 5, 3.
    out = kpi(svc, "funnel_conversion", stage_field="stage")
    stages = out["values"]["stages"]
    assert [s["label"] for s in stages] == ["LEAD", "CONTACTED", "QUOTED", "WON"]
    assert [s["count"] for s in stages] == [7, 6, 5, 3]
    assert [s["step_rate"] for s in stages] == approx([100, 600 / 7, 500 / 6, 60])
    assert out["value"] == approx(300 / 7)
    explicit = kpi(
        svc,
        "funnel_conversion",
        stages=[
            {"label": "all", "filter": None},
            {"label": "resolved", "filter": {"field": "resolved", "op": "eq", "value": True}},
        ],
    )
    assert [s["count"] for s in explicit["values"]["stages"]] == [7, 5]


def test_preset_periods_follow_the_clock(svc: Services) -> None:
    # The test clock stands at 2026-01-05 09:00 UTC: this month is January 2026.
    out = svc.reports.kpi(
        "svc",
        "resolution_rate",
        {
            "table": "tickets",
            "date_field": "opened_at",
            "period": {"preset": "this_month"},
            "match_filter": {"field": "resolved", "op": "eq", "value": True},
        },
    )
    assert out["period"] == {"start": "2026-01-01", "end": "2026-02-01"}
    assert out["value"] == approx(500 / 7)


@pytest.mark.parametrize(
    ("key", "params"),
    [
        ("nope", {}),
        ("nps", {}),
        ("nps", {"score_field": "nope"}),
        ("churn_rate", {"lost_filter": None, "lost_at_field": "churned_on", "period": None}),
        ("nps", {"score_field": "nps", "period": {"start": "2026-02-01", "end": "2026-01-01"}}),
    ],
)
def test_bad_kpi_requests(svc: Services, key: str, params: dict[str, Any]) -> None:
    with pytest.raises(Invalid):
        kpi(svc, key, **params)
