"""The dashboard result cache through HTTP, on the fixed after-sales data set: a dashboard
nobody changed answers from memory (``cache: {hits, misses}`` in the data reply says so), a
write recomputes exactly the widgets that read its table, each caller keeps their own numbers,
relative periods follow the (test) clock, and several API processes agree."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.core import FrozenClock, Settings
from cairn.services import Services, build_services
from factories import make_admin, make_user
from servicedata import make_service_app

D = "/api/v1/apps/svc/dashboards"
TICKETS = "/api/v1/apps/svc/tables/tickets/records"
CUSTOMERS = "/api/v1/apps/svc/tables/customers/records"
COUNT = [{"agg": "count"}]

WIDGETS: list[dict[str, Any]] = [
    {"id": "channels", "type": "bar", "dataset": {"table": "tickets", "dimensions": [{"field": "channel"}], "measures": COUNT}},
    {"id": "tiers", "type": "pie", "dataset": {"table": "customers", "dimensions": [{"field": "tier"}], "measures": COUNT}},
    # Tickets by their customer's province: reads tickets and, through the relation, customers.
    {"id": "provinces", "type": "china_map", "dataset": {"table": "tickets", "dimensions": [{"field": "customer.province"}]}},
    {"id": "month", "type": "number", "dataset": {"table": "tickets", "filter": {"field": "opened_at", "op": "this_month"}, "measures": COUNT}},
    {"id": "nps", "type": "number", "kpi": {"key": "nps", "params": {"table": "tickets", "date_field": "opened_at", "score_field": "nps", "period": {"preset": "this_month"}}}},
]  # fmt: skip
BOARD = {"key": "cache", "name": "Cache", "widgets": WIDGETS}


def settings(db_url: str, data_dir: Path, **kw: Any) -> Settings:
    return Settings(data_dir=data_dir, database_url=db_url, test_clock=True, **kw)


@pytest.fixture
def services(db_url: str, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[Services]:
    """An instance with a test clock (Monday 2026-01-05, 17:00 in Asia/Shanghai)."""
    s = build_services(settings(db_url, tmp_path / "data"), clock=frozen_clock)
    yield s
    s.close()


@pytest.fixture
def board(services: Services, client: TestClient) -> str:
    """The data URL of a dashboard of five widgets over the after-sales data."""
    make_service_app(services)
    r = client.post(D, json=BOARD)
    assert r.status_code == 201, r.text
    return f"{D}/{r.json()['id']}/data"


def data(c: TestClient, url: str, **params: str) -> dict[str, Any]:
    r = c.get(url, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def numbers(reply: dict[str, Any]) -> dict[str, Any]:
    return {k: w["data"] for k, w in reply["widgets"].items()}


def pie(reply: dict[str, Any], widget: str = "tiers") -> dict[str, Any]:
    return {d["name"]: d["value"] for d in reply["widgets"][widget]["data"]["series"][0]["data"]}


def bars(reply: dict[str, Any]) -> dict[str, int]:
    d = reply["widgets"]["channels"]["data"]
    return dict(zip(d["xAxis"]["data"], d["series"][0]["data"], strict=True))


def test_an_unchanged_dashboard_answers_from_the_cache(client: TestClient, board: str) -> None:
    first = data(client, board)
    assert first["cache"] == {"hits": 0, "misses": 5}
    assert first["widgets"]["month"]["data"]["value"] == 7  # January 2026: t1–t7
    second = data(client, board)
    assert second["cache"] == {"hits": 5, "misses": 0}
    assert numbers(second) == numbers(first)
    # Other filter values are other results; the first ones are still kept.
    assert data(client, board, filters='{"x": 1}')["cache"]["hits"] == 5  # no such filter
    assert data(client, board)["cache"] == {"hits": 5, "misses": 0}


def test_a_write_recomputes_only_the_widgets_reading_its_table(
    client: TestClient, board: str
) -> None:
    before = data(client, board)
    assert pie(before) == {"VIP": 2, "GOLD": 2, "STANDARD": 1}
    r = client.post(CUSTOMERS, json={"name": "己", "province": "广东", "tier": "gold"})
    assert r.status_code == 201, r.text
    after = data(client, board)
    # tiers (customers) and provinces (tickets → customers) recomputed; the other three kept.
    assert after["cache"] == {"hits": 3, "misses": 2}
    assert pie(after) == {"VIP": 2, "GOLD": 3, "STANDARD": 1}
    assert data(client, board)["cache"] == {"hits": 5, "misses": 0}

    # A ticket: every widget over tickets is recomputed, the customers' pie is kept.
    t = client.post(TICKETS, json={"title": "t11", "channel": "web", "opened_at": "2026-01-05T10:00:00+08:00"})  # fmt: skip
    assert t.status_code == 201, t.text
    after = data(client, board)
    assert after["cache"] == {"hits": 1, "misses": 4}
    assert after["widgets"]["month"]["data"]["value"] == 8

    # Deleting it, and restoring it, each count as a change of its table.
    assert client.delete(f"{TICKETS}/{t.json()['id']}").status_code == 204
    after = data(client, board)
    assert after["cache"] == {"hits": 1, "misses": 4}
    assert after["widgets"]["month"]["data"]["value"] == 7


def test_linking_a_record_recomputes_widgets_that_read_the_link(
    client: TestClient, board: str
) -> None:
    """A ticket given another customer changes the provinces (read through the relation)."""
    before = data(client, board)
    provinces = {d["name"]: d["value"] for d in before["widgets"]["provinces"]["data"]["series"][0]["data"]}  # fmt: skip
    t1 = client.post(f"{TICKETS}/query", json={"filter": {"field": "title", "op": "eq", "value": "t1"}}).json()["items"][0]  # fmt: skip
    beijing = client.post(f"{CUSTOMERS}/query", json={"filter": {"field": "province", "op": "eq", "value": "北京"}}).json()["items"][0]  # fmt: skip
    r = client.patch(f"{TICKETS}/{t1['id']}", json={"customer": beijing["id"], "version": t1["version"]})  # fmt: skip
    assert r.status_code == 200, r.text
    after = data(client, board)
    assert after["cache"]["misses"] == 4  # every widget over tickets; tiers kept
    moved = {d["name"]: d["value"] for d in after["widgets"]["provinces"]["data"]["series"][0]["data"]}  # fmt: skip
    assert moved["广东省"] == provinces["广东省"] - 1
    assert moved["北京市"] == provinces["北京市"] + 1


def test_each_caller_keeps_their_own_numbers(
    services: Services, client: TestClient, board: str
) -> None:
    """A member who reads only their own tickets never gets the administrator's cached
    numbers, nor another member's, and the administrator never gets theirs."""
    uids = {}
    members = {}
    app = create_app(services)
    for name in ("mia", "max"):
        uid, token = make_user(services, name)
        uids[name] = uid
        members[name] = TestClient(app, headers={"authorization": f"Bearer {token}"})
    role = {
        "key": "own_tickets",
        "name": "Own tickets",
        "members": ["mia", "max"],
        "tables": [
            {"app": "svc", "table": "tickets", "actions": ["read"], "row_scope": "own"},
            {"app": "svc", "table": "customers", "actions": ["read"], "row_scope": "all"},
        ],
    }
    assert client.post("/api/v1/roles", json=role).status_code == 201
    for title, channel, owner in (("m1", "wechat", "mia"), ("m2", "wechat", "mia"), ("x1", "web", "max")):  # fmt: skip
        body = {"title": title, "channel": channel, "opened_at": "2026-01-04T10:00:00+08:00"}
        services.records.create("svc", "tickets", body, actor_id=uids[owner])

    def channels(c: TestClient) -> tuple[dict[str, Any], dict[str, int]]:
        reply = data(c, board)
        return reply["cache"], bars(reply)

    admin_first = channels(client)
    assert admin_first == ({"hits": 0, "misses": 5}, {"PHONE": 6, "WEB": 4, "WECHAT": 3})
    assert channels(client)[0] == {"hits": 5, "misses": 0}
    mia, max_ = members["mia"], members["max"]
    assert channels(mia) == ({"hits": 0, "misses": 5}, {"WECHAT": 2})
    assert channels(mia) == ({"hits": 5, "misses": 0}, {"WECHAT": 2})
    assert channels(max_) == ({"hits": 0, "misses": 5}, {"WEB": 1})
    assert channels(client) == ({"hits": 5, "misses": 0}, admin_first[1])
    assert data(mia, board)["widgets"]["month"]["data"]["value"] == 2
    for c in members.values():
        c.close()


def test_this_month_follows_the_test_clock(client: TestClient, board: str) -> None:
    jan = data(client, board)
    assert jan["widgets"]["month"]["data"]["value"] == 7
    nps_jan = jan["widgets"]["nps"]["data"]["value"]
    assert nps_jan == pytest.approx(100 / 7)
    # Later the same day: nothing relative moved, everything is kept.
    r = client.post("/api/v1/test-clock/advance", json={"by": "5h"})
    assert r.status_code == 200, r.text
    assert data(client, board)["cache"] == {"hits": 5, "misses": 0}
    # Into February: "this month" is another month; the widgets without periods are kept.
    r = client.post("/api/v1/test-clock/advance", json={"to": "2026-02-02T09:00:00+08:00"})
    assert r.status_code == 200, r.text
    feb = data(client, board)
    assert feb["widgets"]["month"]["data"]["value"] == 0
    assert feb["widgets"]["nps"]["data"]["value"] is None
    assert feb["widgets"]["nps"]["data"]["previous"] == pytest.approx(nps_jan)
    assert feb["cache"] == {"hits": 3, "misses": 2}
    # The next day of February: the month did not change, but the day did.
    client.post("/api/v1/test-clock/advance", json={"by": "1d"})
    assert data(client, board)["widgets"]["month"]["data"]["value"] == 0


def test_a_widget_on_the_time_of_day_is_never_kept(client: TestClient, board: str) -> None:
    """A filter on NOW() (not just today's date) is recomputed on every request."""
    soon = {"title": "soon", "channel": "web", "opened_at": "2026-01-05T19:00:00+08:00"}
    assert client.post(TICKETS, json=soon).status_code == 201
    widget = {"id": "opened", "type": "number", "dataset": {"table": "tickets", "filter": {"formula": "{opened_at} <= NOW()"}, "measures": COUNT}}  # fmt: skip
    r = client.post(D, json={"key": "now", "name": "Now", "widgets": [widget]})
    assert r.status_code == 201, r.text
    url = f"{D}/{r.json()['id']}/data"
    first = data(client, url)
    assert (first["cache"], first["widgets"]["opened"]["data"]["value"]) == ({"hits": 0, "misses": 1}, 6)  # fmt: skip
    assert data(client, url)["cache"] == {"hits": 0, "misses": 1}
    # Tickets opened by now (17:00): t1, t2, t7, t8, t9, t10. At 20:00, the same day, also
    # the one opened at 19:00.
    client.post("/api/v1/test-clock/advance", json={"by": "3h"})
    assert data(client, url)["widgets"]["opened"]["data"]["value"] == 7


def test_several_processes_see_each_others_writes(
    db_url: str, tmp_path: Path, frozen_clock: FrozenClock, client: TestClient, board: str
) -> None:
    """Another API process (its own services and cache, the same database) that writes a
    record: this process's cached widgets over that table are recomputed."""
    other = build_services(settings(db_url, tmp_path / "other"), clock=frozen_clock)
    try:
        token = make_admin(other, "admin2")
        with TestClient(create_app(other), headers={"authorization": f"Bearer {token}"}) as c2:
            data(client, board)
            assert data(c2, board)["cache"] == {"hits": 0, "misses": 5}  # its own memory
            r = c2.post(CUSTOMERS, json={"name": "庚", "province": "北京", "tier": "vip"})
            assert r.status_code == 201, r.text
            here = data(client, board)
            assert here["cache"] == {"hits": 3, "misses": 2}
            assert pie(here)["VIP"] == 3
    finally:
        other.close()


def test_the_cache_can_be_turned_off(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``CAIRN_REPORT_CACHE=0``: every widget is computed on every request."""
    monkeypatch.setenv("CAIRN_REPORT_CACHE", "0")
    off = build_services(settings(db_url, tmp_path / "off"), clock=FrozenClock())
    try:
        assert off.report_cache is None
        make_service_app(off)
        token = make_admin(off)
        with TestClient(create_app(off), headers={"authorization": f"Bearer {token}"}) as c:
            url = f"{D}/{c.post(D, json=BOARD).json()['id']}/data"
            assert data(c, url)["cache"] == {"hits": 0, "misses": 5}
            assert data(c, url)["cache"] == {"hits": 0, "misses": 5}
    finally:
        off.close()
