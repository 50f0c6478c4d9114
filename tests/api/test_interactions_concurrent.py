"""Two identical inbound posts at once (issue 22), on SQLite and PostgreSQL: both pass the
"seen this key?" check before either has stored it, and the second is answered as a replay of
the first (200, the first's interaction), never a 500, never two rows."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from cairn.auth import SYSTEM
from cairn.services import Services
from cairn.store import interactions as store
from cairn.store import system
from cairn.store.tables.interactions import interactions
from support.http import created

A = "/api/v1/apps/crm"
POST = {"table": "customers", "kind": "call", "source": "call_centre", "subject": "来电"}


def _rows(services: Services) -> int:
    with services.engine.connect() as c:
        return c.execute(sa.select(sa.func.count()).select_from(interactions)).scalar_one()


def _logged(services: Services) -> int:
    o = system.outbox
    with services.engine.connect() as c:
        q = sa.select(sa.func.count()).select_from(o).where(o.c.type == "interaction.logged")
        return c.execute(q).scalar_one()


def test_a_post_that_loses_the_race_is_answered_as_a_replay(
    crm: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check before the insert misses the row another post stored meanwhile (as when
    both arrive at once): the unique key refuses the second insert, and the answer is the
    first's interaction with 200, over HTTP."""
    rid = created(crm, f"{A}/tables/customers/records", {"name": "王芳"})["id"]
    body = {**POST, "record_id": rid}
    headers = {"Idempotency-Key": "cc-7"}
    first = crm.post(f"{A}/interactions", json=body, headers=headers)
    assert first.status_code == 201, first.text
    real = store.by_idempotency_key
    calls: list[str] = []

    def late(conn: Any, app_id: int, key: str) -> Any:
        calls.append(key)
        return None if len(calls) == 1 else real(conn, app_id, key)  # the first check misses

    monkeypatch.setattr(store, "by_idempotency_key", late)
    again = crm.post(f"{A}/interactions", json={**body, "subject": "重发"}, headers=headers)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert len(calls) >= 2
    assert _rows(services) == 1 and _logged(services) == 1


def test_two_identical_posts_at_once_store_one(crm: TestClient, services: Services) -> None:
    """Two threads post the same key at the same moment through the service: one stores,
    the other gets the same interaction back; nothing fails. On PostgreSQL both pass the
    check first (a barrier holds them there), so the unique index decides."""
    rid = created(crm, f"{A}/tables/customers/records", {"name": "王芳"})["id"]
    body = {**POST, "record_id": rid}
    pg = services.engine.dialect.name == "postgresql"
    real = store.by_idempotency_key
    barrier = threading.Barrier(2, timeout=20)
    local = threading.local()

    def together(conn: Any, app_id: int, key: str) -> Any:
        seen = real(conn, app_id, key)
        if pg and not getattr(local, "waited", False):
            local.waited = True
            barrier.wait()  # both have checked before either inserts
        return seen

    results: list[tuple[dict[str, Any], bool]] = []
    errors: list[BaseException] = []

    def post() -> None:
        try:
            results.append(services.interactions.post("crm", dict(body), "same-key", SYSTEM))
        except BaseException as e:
            errors.append(e)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(store, "by_idempotency_key", together)
        threads = [threading.Thread(target=post) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert errors == []
    assert len(results) == 2
    assert sorted(new for _, new in results) == [False, True]
    assert results[0][0] == results[1][0]
    assert _rows(services) == 1 and _logged(services) == 1
