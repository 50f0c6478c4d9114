"""The test clock over HTTP (``CAIRN_TEST_CLOCK=true``): absent when off (404, not in the
OpenAPI document); administrators only; forward by a duration or to an instant, never back;
bad input 422 and no change; each advance in the audit log; token and session expiry follow."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.auth import cli
from cairn.core import FrozenClock, NotFound, Settings
from cairn.services import Services, build_services
from factories import make_admin, make_user

CLOCK = "/api/v1/test-clock"
ADVANCE = f"{CLOCK}/advance"
PW = "Secret123456"


@pytest.fixture
def services(db_url: str, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[Services]:
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url, test_clock=True)
    s = build_services(settings, clock=frozen_clock)
    yield s
    s.close()


@pytest.fixture
def member(services: Services) -> Iterator[TestClient]:
    _, token = make_user(services, "alice", password=PW)
    headers = {"accept-language": "en", "authorization": f"Bearer {token}"}
    with TestClient(create_app(services), headers=headers) as c:
        yield c


def advance(client: TestClient, **body: Any) -> dict[str, Any]:
    r = client.post(ADVANCE, json=body)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
def off(db_url: str, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[Services]:
    """An instance with the default settings: no test clock."""
    s = build_services(Settings(data_dir=tmp_path / "off", database_url=db_url), clock=frozen_clock)
    yield s
    s.close()


def test_off_by_default_the_routes_do_not_exist(off: Services) -> None:
    assert off.settings.test_clock is False and off.clock is not None
    token = make_admin(off)
    with TestClient(create_app(off), headers={"authorization": f"Bearer {token}"}) as admin:
        for headers in ({}, {"authorization": ""}):
            assert admin.get(CLOCK, headers=headers).status_code == 404
            r = admin.post(ADVANCE, json={"by": "3d"}, headers=headers)
            assert r.status_code == 404
        assert "test-clock" not in admin.get("/openapi.json").text
    with pytest.raises(NotFound):
        off.test_clock.advance(cli(), {"by": "1d"})
    assert off.clock.now() == FrozenClock().now()


def test_administrators_read_and_advance(
    client: TestClient, frozen_clock: FrozenClock, services: Services
) -> None:
    assert "/api/v1/test-clock/advance" in client.get("/openapi.json").json()["paths"]
    r = client.get(CLOCK)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "enabled": True,
        "now": "2026-01-05T09:00:00Z",
        "real_now": "2026-01-05T09:00:00Z",
        "offset": "0s",
        "offset_seconds": 0,
        "version": 0,
    }
    moved = advance(client, by="3d")
    assert moved["previous"] == "2026-01-05T09:00:00Z"
    assert moved["now"] == "2026-01-08T09:00:00Z" and moved["offset"] == "3d"
    assert moved["version"] == 1
    assert services.clock.now().isoformat() == "2026-01-08T09:00:00+00:00"
    moved = advance(client, by="2h30m")
    assert moved["now"] == "2026-01-08T11:30:00Z" and moved["offset"] == "3d2h30m"
    moved = advance(client, to="2026-02-05T09:00:00+08:00")
    assert moved["now"] == "2026-02-05T01:00:00Z" and moved["offset"] == "30d16h"
    frozen_clock.advance(__import__("datetime").timedelta(minutes=5))  # real time goes on
    r = client.get(CLOCK).json()
    assert r["now"] == "2026-02-05T01:05:00Z" and r["real_now"] == "2026-01-05T09:05:00Z"
    # Every advance is in the audit log, in the hash chain.
    log = client.get("/api/v1/audit", params={"action": "test_clock.advance"}).json()["items"]
    assert [e["details"]["by"] for e in log] == ["27d13h30m", "2h30m", "3d"]
    assert log[0]["details"]["to"] == "2026-02-05T01:00:00Z"
    assert client.get("/api/v1/audit/verify").json()["ok"] is True


def test_members_and_strangers_may_not(member: TestClient, anon: TestClient) -> None:
    assert member.get(CLOCK).status_code == 403
    r = member.post(ADVANCE, json={"by": "3d"})
    assert r.status_code == 403 and r.json()["code"] == "auth.admin_only"
    assert anon.get(CLOCK).status_code == 401
    assert anon.post(ADVANCE, json={"by": "3d"}).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"by": "0d"},
        {"by": "-3d"},
        {"by": "3 days"},
        {"by": "3651d"},
        {"by": 3},
        {"by": None},
        {"to": "2026-02-05"},  # no time zone
        {"to": "2026-02-05T09:00:00"},
        {"to": "tomorrow"},
        {"to": 20260205},
        {"to": "2126-01-05T09:00:00Z"},  # more than ten years ahead
        {"by": "3d", "to": "2026-02-05T09:00:00Z"},
        {},
        {"by": "3d", "extra": 1},
    ],
)
def test_bad_input_is_422_and_changes_nothing(client: TestClient, body: dict[str, Any]) -> None:
    r = client.post(ADVANCE, json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert client.get(CLOCK).json()["offset"] == "0s"


def test_never_backwards(client: TestClient) -> None:
    advance(client, by="1d")
    for to in ("2026-01-06T09:00:00Z", "2026-01-06T08:59:59Z", "2025-12-31T00:00:00+08:00"):
        r = client.post(ADVANCE, json={"to": to}, headers={"accept-language": "zh-CN"})
        assert r.status_code == 422, r.text
        assert "只能向前" in r.text
    assert client.get(CLOCK).json()["now"] == "2026-01-06T09:00:00Z"
    r = client.post(ADVANCE, json={"by": "2x"}, headers={"accept-language": "zh-CN"})
    assert r.status_code == 422 and "3d" in r.text and "时长" in r.text


def test_sessions_and_tokens_expire_by_the_test_clock(
    services: Services, client: TestClient, anon: TestClient
) -> None:
    make_user(services, "bob", password=PW)
    _, day_token = services.auth.create_token(cli(), "bob", "short", days=1)
    assert anon.post("/api/v1/auth/login", json={"username": "bob", "password": PW}).is_success
    h = {"authorization": f"Bearer {day_token}"}
    assert anon.get("/api/v1/auth/me").status_code == 200  # the session cookie
    assert anon.get("/api/v1/auth/me", headers=h).status_code == 200
    advance(client, by="12h1m")  # the session's idle time (12 h) is over
    assert anon.get("/api/v1/auth/me").status_code == 401
    assert anon.get("/api/v1/auth/me", headers=h).status_code == 200
    advance(client, by="12h")
    assert anon.get("/api/v1/auth/me", headers=h).status_code == 401


def test_another_process_sees_an_advance_once_its_cache_expires(
    services: Services, client: TestClient, db_url: str, tmp_path: Path, frozen_clock: FrozenClock
) -> None:
    settings = Settings(
        data_dir=tmp_path / "other",
        database_url=db_url,
        test_clock=True,
        test_clock_cache_seconds=1,
    )
    other = build_services(settings, clock=frozen_clock)  # e.g. the worker
    try:
        ticks = [100.0]
        other.clock.monotonic = lambda: ticks[0]  # type: ignore[attr-defined]
        assert other.clock.now() == frozen_clock.now()
        advance(client, by="31d")
        assert other.clock.now() == frozen_clock.now()  # cached: no query per call
        ticks[0] += 1.0
        assert (other.clock.now() - frozen_clock.now()).days == 31
    finally:
        other.close()
