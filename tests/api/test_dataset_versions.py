"""The freshness check of cached dataset figures, through HTTP, with two API instances on one
database (each its own services, cache and copy of the data versions): an unchanged query on
PostgreSQL reads no version (the connection's checkout already said nothing moved), and a
write committed on either instance is in the other's next answer, every time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.core import FrozenClock, Settings
from cairn.services import Services, build_services
from factories import make_admin
from servicedata import make_service_app

Q = "/api/v1/apps/svc/reports/datasets/query"
CUSTOMERS = "/api/v1/apps/svc/tables/customers/records"
BY_TIER = {"table": "customers", "dimensions": [{"field": "tier"}]}
TIERS = ("vip", "gold", "standard")


def instance(db_url: str, data_dir: Path, clock: FrozenClock) -> Services:
    settings = Settings(data_dir=data_dir, database_url=db_url, test_clock=True)
    return build_services(settings, clock=clock)


@pytest.fixture
def pair(db_url: str, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[list[Any]]:
    """Two instances over one database, each with a signed-in client: [(services, client)]."""
    first = instance(db_url, tmp_path / "one", frozen_clock)
    make_service_app(first)
    second = instance(db_url, tmp_path / "two", frozen_clock)
    out = []
    try:
        for i, s in enumerate((first, second)):
            headers = {"authorization": f"Bearer {make_admin(s, f'admin{i}')}"}
            out.append((s, TestClient(create_app(s), headers=headers)))
        for _, c in out:
            c.__enter__()
        yield out
    finally:
        for _, c in out:
            c.__exit__(None, None, None)
        first.close()
        second.close()


def tiers(c: TestClient) -> dict[str, int]:
    r = c.post(Q, json=BY_TIER)
    assert r.status_code == 200, r.text
    return {row["labels"][0]: row["values"][0] for row in r.json()["rows"]}


def statements(services: Services) -> list[str]:
    seen: list[str] = []
    sa.event.listen(services.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_each_instance_sees_the_others_committed_writes(pair: list[Any]) -> None:
    (_, c1), (_, c2) = pair
    expected = tiers(c1)
    assert tiers(c2) == expected
    for i in range(6):  # writes alternate between the instances; both read after each
        writer = (c1, c2)[i % 2]
        tier = TIERS[i % 3]
        r = writer.post(CUSTOMERS, json={"name": f"n{i}", "province": "北京", "tier": tier})
        assert r.status_code == 201, r.text
        label = tier.upper()
        expected[label] = expected.get(label, 0) + 1
        assert tiers(c2) == expected
        assert tiers(c1) == expected
    r = c1.patch(
        f"{CUSTOMERS}/{r.json()['id']}", json={"tier": "gold", "version": r.json()["version"]}
    )
    assert r.status_code == 200, r.text
    expected["STANDARD"] -= 1
    expected["GOLD"] += 1
    assert tiers(c2) == expected


def test_an_unchanged_query_reads_no_version_on_postgresql(pair: list[Any]) -> None:
    (s1, c1), (_, c2) = pair
    tiers(c1)
    tiers(c1)  # the copy of the versions made
    seen = statements(s1)
    hits = s1.report_cache.stats()["hits"]
    tiers(c1)
    assert s1.report_cache.stats()["hits"] == hits + 1
    reads = [sql for sql in seen if "table_versions" in sql]
    if s1.engine.dialect.name == "postgresql":
        assert reads == []  # the checkout's statement said nothing moved
    else:
        assert len(reads) == 1  # SQLite reads them (a file read, no round trip)
    # A write on the other instance: the next query here reads them again, and is right.
    r = c2.post(CUSTOMERS, json={"name": "x", "province": "北京", "tier": "vip"})
    assert r.status_code == 201, r.text
    before = len([sql for sql in seen if "table_versions" in sql])
    assert tiers(c1)["VIP"] == tiers(c2)["VIP"]
    assert len([sql for sql in seen if "table_versions" in sql]) > before
