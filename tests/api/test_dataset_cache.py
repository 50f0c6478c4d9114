"""Dataset queries through HTTP answer from the reports' result cache while nothing they read
changed, on the fixed after-sales data set: the same figures as computed, a write in the
table changes them, a write in another table keeps the entry, and a member who reads only
their own rows never gets another caller's cached figures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.core import FrozenClock, Settings
from cairn.services import Services, build_services
from cairn.store import outbox, system
from factories import make_user
from servicedata import make_service_app

Q = "/api/v1/apps/svc/reports/datasets/query"
TICKETS = "/api/v1/apps/svc/tables/tickets/records"
CUSTOMERS = "/api/v1/apps/svc/tables/customers/records"
BY_CHANNEL = {"table": "tickets", "dimensions": [{"field": "channel"}]}
BY_TIER = {"table": "customers", "dimensions": [{"field": "tier"}]}


@pytest.fixture
def services(db_url: str, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[Services]:
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url, test_clock=True)
    s = build_services(settings, clock=frozen_clock)
    make_service_app(s)
    yield s
    s.close()


def query(c: TestClient, spec: dict[str, Any]) -> dict[str, int]:
    r = c.post(Q, json=spec)
    assert r.status_code == 200, r.text
    return {row["labels"][0]: row["values"][0] for row in r.json()["rows"]}


def hits(services: Services, kind: str = "hits") -> int:
    assert services.report_cache is not None
    return services.report_cache.stats()[kind]


def test_an_unchanged_dataset_answers_from_the_cache(
    services: Services, client: TestClient
) -> None:
    first = query(client, BY_CHANNEL)
    assert first == {"PHONE": 6, "WEB": 3, "WECHAT": 1}
    before = hits(services)
    assert query(client, BY_CHANNEL) == first
    assert hits(services) == before + 1


def test_a_write_changes_the_figure_and_another_table_keeps_it(
    services: Services, client: TestClient
) -> None:
    assert query(client, BY_TIER) == {"VIP": 2, "GOLD": 2, "STANDARD": 1}
    assert query(client, BY_CHANNEL)["WEB"] == 3
    r = client.post(CUSTOMERS, json={"name": "己", "province": "广东", "tier": "gold"})
    assert r.status_code == 201, r.text
    forwarded = hits(services, "forwarded")
    assert query(client, BY_TIER) == {"VIP": 2, "GOLD": 3, "STANDARD": 1}
    assert hits(services, "forwarded") == forwarded + 1  # brought forward, not recomputed
    c = r.json()
    r = client.patch(f"{CUSTOMERS}/{c['id']}", json={"tier": "vip", "version": c["version"]})
    assert r.status_code == 200, r.text
    assert query(client, BY_TIER) == {"VIP": 3, "GOLD": 2, "STANDARD": 1}
    assert hits(services, "forwarded") == forwarded + 2
    before = hits(services)
    assert query(client, BY_CHANNEL)["WEB"] == 3  # tickets unchanged: from the cache
    assert hits(services) == before + 1
    t = client.post(TICKETS, json={"title": "t11", "channel": "web", "opened_at": "2026-01-05T10:00:00+08:00"})  # fmt: skip
    assert t.status_code == 201, t.text
    assert query(client, BY_CHANNEL)["WEB"] == 4
    assert client.delete(f"{TICKETS}/{t.json()['id']}").status_code == 204
    assert query(client, BY_CHANNEL)["WEB"] == 3


def test_a_sum_after_the_outbox_was_purged_is_recomputed(
    services: Services, client: TestClient
) -> None:
    """Events after the figures' mark removed by a purge: the figures are computed again
    (right), not brought forward from what is left."""
    spec = {**BY_CHANNEL, "measures": [{"agg": "sum", "field": "nps"}]}
    before = query(client, spec)
    t = client.post(TICKETS, json={"title": "t11", "channel": "web", "nps": 7}).json()
    r = client.patch(f"{TICKETS}/{t['id']}", json={"nps": 9, "version": t["version"]})
    assert r.status_code == 200, r.text
    with services.engine.begin() as conn:  # every event handled long ago, then purged
        conn.execute(sa.update(system.outbox).values(processed_at=datetime(2000, 1, 1)))
        assert outbox.purge(conn, datetime(2001, 1, 1)) > 0
    forwarded = hits(services, "forwarded")
    assert query(client, spec)["WEB"] == (before.get("WEB") or 0) + 9
    assert hits(services, "forwarded") == forwarded


def test_a_row_scoped_member_never_sees_another_callers_figures(
    services: Services, client: TestClient
) -> None:
    app = create_app(services)
    uids, members = {}, {}
    for name in ("mia", "max"):
        uid, token = make_user(services, name)
        uids[name] = uid
        members[name] = TestClient(app, headers={"authorization": f"Bearer {token}"})
    role = {
        "key": "own_tickets",
        "name": "Own tickets",
        "members": ["mia", "max"],
        "tables": [{"app": "svc", "table": "tickets", "actions": ["read"], "row_scope": "own"}],
    }
    assert client.post("/api/v1/roles", json=role).status_code == 201
    for title, channel, owner in (("m1", "wechat", "mia"), ("m2", "wechat", "mia"), ("x1", "web", "max")):  # fmt: skip
        body = {"title": title, "channel": channel, "opened_at": "2026-01-04T10:00:00+08:00"}
        services.records.create("svc", "tickets", body, actor_id=uids[owner])
    everyone = {"PHONE": 6, "WEB": 4, "WECHAT": 3}
    assert query(client, BY_CHANNEL) == everyone
    assert query(client, BY_CHANNEL) == everyone
    mia, max_ = members["mia"], members["max"]
    for _ in range(2):  # computed, then from the cache: each their own
        assert query(mia, BY_CHANNEL) == {"WECHAT": 2}
        assert query(max_, BY_CHANNEL) == {"WEB": 1}
    assert query(client, BY_CHANNEL) == everyone
    for c in members.values():
        c.close()


def test_a_dashboard_tile_is_brought_forward_after_a_write(
    services: Services, client: TestClient
) -> None:
    board = {"key": "tiers", "name": "Tiers", "widgets": [{"id": "w", "type": "bar", "dataset": BY_TIER}]}  # fmt: skip
    r = client.post("/api/v1/apps/svc/dashboards", json=board)
    assert r.status_code == 201, r.text
    url = f"/api/v1/apps/svc/dashboards/{r.json()['id']}/data"

    def bars() -> dict[str, int]:
        d = client.get(url).json()["widgets"]["w"]["data"]
        return dict(zip(d["xAxis"]["data"], d["series"][0]["data"], strict=True))

    assert bars() == {"VIP": 2, "GOLD": 2, "STANDARD": 1}
    forwarded = hits(services, "forwarded")
    r = client.post(CUSTOMERS, json={"name": "己", "province": "广东", "tier": "vip"})
    assert r.status_code == 201, r.text
    assert bars() == {"VIP": 3, "GOLD": 2, "STANDARD": 1}
    assert hits(services, "forwarded") == forwarded + 1
