"""The general-aviation template's reports: its KPI mappings fit its tables, its example
dashboard shows data in every widget and follows its date filter, and its alert belongs to
the user who loaded the app and would tell them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from cairn.auth import cli
from cairn.core import FrozenClock
from cairn.services import Services
from cairn.templates import load_template, package_text
from factories import make_admin, make_services

APP = "general_aviation"


@pytest.fixture
def loaded(db_url: str, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[Services]:
    s = make_services(db_url, tmp_path / "data", frozen_clock)
    make_admin(s, "ada")
    load_template(s, APP, customers=40, owner="ada")
    yield s
    s.close()


def test_every_mapped_kpi_computes_on_the_demo_data(loaded: Services) -> None:
    mapped = {m["kpi"] for m in loaded.kpi_mappings.list(APP)}
    assert mapped == {"resolution_rate", "funnel_conversion", "clv", "csat"}
    for kpi in sorted(mapped):
        out = loaded.reports.kpi(APP, kpi, {"period": {"preset": "last_n_days", "days": 365}})
        assert out["value"] is not None, kpi


def test_the_example_dashboard_shows_every_widget_and_follows_its_date_filter(
    loaded: Services,
) -> None:
    board, _quotes = loaded.dashboards.list(APP)
    assert board["key"] == "service_overview"
    types = {w["id"]: w["type"] for w in board["widgets"]}
    assert types == {"resolution": "number", "by_status": "bar", "by_priority": "pie", "per_month": "line"}  # fmt: skip
    assert [f["type"] for f in board["filters"]] == ["date_range"]

    everything = loaded.dashboards.data(APP, board["id"])["widgets"]
    assert all("error" not in w and w["data"] for w in everything.values()), everything
    assert everything["resolution"]["data"]["value"] is not None
    december = loaded.dashboards.data(APP, board["id"], {"period": ["2025-12-01", "2025-12-31"]})
    for wid, w in december["widgets"].items():
        assert "error" not in w, w
        assert w["data"] != everything[wid]["data"], wid
    assert december["widgets"]["per_month"]["data"]["x_keys"] == ["2025-12"]


def test_the_alert_belongs_to_who_loaded_the_app_and_would_tell_them(loaded: Services) -> None:
    ada = loaded.directory.get_user(cli(), "ada")["id"]
    [alert] = loaded.alerts.list(cli(), APP)
    assert (alert["key"], alert["owner_id"]) == ("resolution_low", ada)
    dry = loaded.alerts.check_now(cli(), APP, alert["id"], dry_run=True)
    assert dry["error"] is None and dry["value"] is not None
    assert dry["would"][0]["would"]["recipients"] == [f"user:{ada}"]


def test_the_package_keeps_its_reports(services: Services) -> None:
    services.packages.import_yaml(package_text(APP))
    exported = services.packages.export(APP)
    source = yaml.safe_load(package_text(APP))
    assert exported["kpi_mappings"] == sorted(source["kpi_mappings"], key=lambda m: m["kpi"])
    assert [d["key"] for d in exported["dashboards"]] == ["service_overview", "quotes_overview"]
    parts = ("id", "type", "title", "layout", "kpi", "settings")
    for out, src in zip(exported["dashboards"], source["dashboards"], strict=True):
        assert [{k: w.get(k) for k in parts} for w in out["widgets"]] == [
            {k: w.get(k) for k in parts} for w in src["widgets"]
        ]
    assert exported["dashboards"][0]["filters"] == source["dashboards"][0]["filters"]
    assert [a["key"] for a in exported["alerts"]] == ["resolution_low"]
