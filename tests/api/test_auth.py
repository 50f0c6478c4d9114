"""Sign-in over HTTP: login, cookies, CSRF, me, logout, tokens, lock-out, 401 everywhere."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from cairn.auth import cli
from cairn.core import FrozenClock
from cairn.services import Services
from factories import make_user

PW = "correct-horse-42"
LOGIN = "/api/v1/auth/login"


@pytest.fixture
def alice(services: Services) -> int:
    return make_user(services, "alice", password=PW, display_name="Alice", email="a@x.cn")[0]


def login(c: TestClient, username: str = "alice", password: str = PW):
    return c.post(LOGIN, json={"username": username, "password": password})


def test_login_sets_cookies_and_returns_user(anon: TestClient, alice: int) -> None:
    r = login(anon)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["user"]["username"] == "alice" and body["user"]["id"] == alice
    assert body["user"]["is_admin"] is False and body["user"]["email"] == "a@x.cn"
    assert {"display_name", "mobile", "department_id"} <= set(body["user"])
    cookies = r.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("cairn_session="))
    csrf = next(c for c in cookies if c.startswith("cairn_csrf="))
    assert "HttpOnly" in session and "samesite=lax" in session.lower() and "Path=/" in session
    assert "HttpOnly" not in csrf and "samesite=lax" in csrf.lower()
    assert csrf.split(";")[0] == "cairn_csrf=" + body["csrf_token"]
    me = anon.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json() == {
        "user": {**body["user"], "department_ids": []},
        "csrf_token": body["csrf_token"],
    } or (
        me.json()["user"]["username"] == "alice" and me.json()["csrf_token"] == body["csrf_token"]
    )


def test_wrong_password_and_unknown_user_look_the_same(anon: TestClient, alice: int) -> None:
    a = login(anon, password="wrong-password-1")
    b = login(anon, username="nobody")
    assert a.status_code == b.status_code == 401
    assert a.headers["content-type"].startswith("application/problem+json")
    assert a.json()["detail"] == b.json()["detail"] == "The user name or password is wrong."
    assert "set-cookie" not in a.headers
    assert anon.get("/api/v1/auth/me").status_code == 401


def test_lock_out_after_repeated_failures(
    anon: TestClient, alice: int, frozen_clock: FrozenClock
) -> None:
    for _ in range(4):
        assert login(anon, password="wrong-password-1").status_code == 401
    r = login(anon, password="wrong-password-1")
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) == 15 * 60
    # Locked: even the right password is refused until the lock ends.
    assert login(anon).status_code == 429
    frozen_clock.advance(timedelta(minutes=16))
    assert login(anon).status_code == 200


def test_disabled_user_cannot_sign_in(services: Services, anon: TestClient, alice: int) -> None:
    services.directory.update_user(cli(), "alice", {"status": "disabled"})
    assert login(anon).status_code == 401


def test_csrf_required_for_cookie_writes(anon: TestClient, alice: int, crm: TestClient) -> None:
    token = login(anon).json()["csrf_token"]
    url = "/api/v1/tokens"
    r = anon.post(url, json={"name": "x"})
    assert r.status_code == 403 and r.json()["code"] == "auth.csrf"
    r = anon.post(url, json={"name": "x"}, headers={"x-csrf-token": "nope"})
    assert r.status_code == 403
    r = anon.post(url, json={"name": "x"}, headers={"x-csrf-token": token})
    assert r.status_code == 201
    # Reads need no CSRF token.
    assert anon.get("/api/v1/auth/me").status_code == 200


def test_logout_ends_the_session(anon: TestClient, alice: int) -> None:
    token = login(anon).json()["csrf_token"]
    r = anon.post("/api/v1/auth/logout", headers={"x-csrf-token": token})
    assert r.status_code == 204
    assert anon.get("/api/v1/auth/me").status_code == 401


def test_logout_everywhere(services: Services, alice: int) -> None:
    from cairn.api import create_app

    app = create_app(services)
    with TestClient(app) as one, TestClient(app) as two:
        t1 = login(one).json()["csrf_token"]
        login(two)
        assert two.get("/api/v1/auth/me").status_code == 200
        r = one.post("/api/v1/auth/logout?everywhere=true", headers={"x-csrf-token": t1})
        assert r.status_code == 204
        assert one.get("/api/v1/auth/me").status_code == 401
        assert two.get("/api/v1/auth/me").status_code == 401


def test_session_expires_when_idle(anon: TestClient, alice: int, frozen_clock: FrozenClock) -> None:
    login(anon)
    frozen_clock.advance(timedelta(hours=11))
    assert anon.get("/api/v1/auth/me").status_code == 200  # used: pushed forward
    frozen_clock.advance(timedelta(hours=11))
    assert anon.get("/api/v1/auth/me").status_code == 200
    frozen_clock.advance(timedelta(hours=13))
    assert anon.get("/api/v1/auth/me").status_code == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/apps"),
        ("post", "/api/v1/apps"),
        ("get", "/api/v1/apps/crm/tables"),
        ("get", "/api/v1/apps/crm/tables/customers/records"),
        ("post", "/api/v1/apps/crm/tables/customers/records/query"),
        ("get", "/api/v1/apps/crm/tables/customers/records/1"),
        ("get", "/api/v1/apps/crm/tables/customers/records/1/history"),
        ("get", "/api/v1/files/abc"),
        ("get", "/api/v1/users"),
        ("get", "/api/v1/roles"),
        ("get", "/api/v1/audit"),
        ("get", "/api/v1/auth/me"),
        ("post", "/api/v1/auth/logout"),
        ("get", "/api/v1/permissions/explain"),
    ],
)
def test_unauthenticated_requests_get_401(
    crm: TestClient, anon: TestClient, method: str, path: str
) -> None:
    r = getattr(anon, method)(path)
    assert r.status_code == 401, (path, r.status_code)
    assert r.headers["content-type"].startswith("application/problem+json")
    assert set(r.json()) >= {"type", "title", "status", "detail"}
    assert "items" not in r.json()


def test_health_needs_no_sign_in(anon: TestClient) -> None:
    assert anon.get("/api/v1/health").status_code == 200


def test_bearer_tokens(services: Services, crm: TestClient, anon: TestClient, alice: int) -> None:
    r = crm.post("/api/v1/tokens", json={"user": "alice", "name": "erp", "days": 1})
    assert r.status_code == 201
    token, token_id = r.json()["token"], r.json()["id"]
    assert token.startswith("cairn_") and r.json()["name"] == "erp"
    listed = crm.get("/api/v1/tokens", params={"user": "alice"}).json()["items"]
    assert all("token" not in t and token not in str(t) for t in listed)
    h = {"authorization": f"Bearer {token}"}
    assert anon.get("/api/v1/auth/me", headers=h).json()["user"]["username"] == "alice"
    assert (
        anon.get(
            "/api/v1/auth/me", headers={"authorization": "Bearer " + token[:-1] + "x"}
        ).status_code
        == 401
    )
    assert crm.delete(f"/api/v1/tokens/{token_id}").status_code == 204
    assert anon.get("/api/v1/auth/me", headers=h).status_code == 401


def test_token_expires(
    services: Services, anon: TestClient, alice: int, frozen_clock: FrozenClock
) -> None:
    _, token = services.auth.create_token(cli(), "alice", "short", days=1)
    h = {"authorization": f"Bearer {token}"}
    assert anon.get("/api/v1/auth/me", headers=h).status_code == 200
    frozen_clock.advance(timedelta(days=1, seconds=1))
    assert anon.get("/api/v1/auth/me", headers=h).status_code == 401


def test_read_only_token_cannot_write(
    services: Services, crm: TestClient, anon: TestClient
) -> None:
    _, token = services.auth.create_token(cli(), "admin", "ro", read_only=True)
    h = {"authorization": f"Bearer {token}"}
    url = "/api/v1/apps/crm/tables/customers/records"
    assert anon.get(url, headers=h).status_code == 200
    assert anon.post(url + "/query", json={}, headers=h).status_code == 200
    r = anon.post(url, json={"name": "x"}, headers=h)
    assert r.status_code == 403 and r.json()["code"] == "auth.read_only_token"


def test_no_password_or_token_in_logs_or_errors(
    anon: TestClient, alice: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "Secret-Pass-9999"
    r = login(anon, password=secret)
    token = "cairn_" + "A" * 43
    r2 = anon.get("/api/v1/auth/me", headers={"authorization": f"Bearer {token}"})
    for text in (r.text, r2.text, caplog.text):
        assert secret not in text and token not in text


def test_admin_endpoints_refuse_members(services: Services, anon: TestClient, alice: int) -> None:
    _, token = services.auth.create_token(cli(), "alice", "t")
    h = {"authorization": f"Bearer {token}"}
    assert anon.get("/api/v1/audit", headers=h).status_code == 403
    assert anon.get("/api/v1/roles", headers=h).status_code == 403
    assert anon.post("/api/v1/users", json={"username": "x"}, headers=h).status_code == 403
    assert anon.post("/api/v1/apps", json={"key": "x", "name": "x"}, headers=h).status_code == 403


def test_a_revoked_or_disabled_token_stops_at_once_though_it_was_just_used(
    services: Services, client: TestClient, anon: TestClient, alice: int
) -> None:
    """Tokens checked moments ago are remembered (no database round trip per request), but
    revoking one or disabling its user ends it for the very next request."""
    shape, token = services.auth.create_token(cli(), "alice", "t1")
    tid = shape["id"]
    h = {"authorization": f"Bearer {token}"}
    assert anon.get("/api/v1/auth/me", headers=h).status_code == 200
    assert anon.get("/api/v1/auth/me", headers=h).status_code == 200  # from the cache
    assert client.delete(f"/api/v1/tokens/{tid}").status_code == 204
    assert anon.get("/api/v1/auth/me", headers=h).status_code == 401

    _, token2 = services.auth.create_token(cli(), "alice", "t2")
    h2 = {"authorization": f"Bearer {token2}"}
    assert anon.get("/api/v1/auth/me", headers=h2).status_code == 200
    assert client.patch("/api/v1/users/alice", json={"status": "disabled"}).status_code == 200
    assert anon.get("/api/v1/auth/me", headers=h2).status_code == 401


def test_another_process_revoking_is_seen_within_the_cache_time(
    services: Services, anon: TestClient, alice: int
) -> None:
    from cairn.services import build_services

    shape, token = services.auth.create_token(cli(), "alice", "t")
    h = {"authorization": f"Bearer {token}"}
    assert anon.get("/api/v1/auth/me", headers=h).status_code == 200
    other = build_services(services.settings, run_migrations=False)
    try:
        other.auth.revoke_token(cli(), shape["id"])
    finally:
        other.close()
    # This process remembered the token a moment ago; once the cache time has passed it asks
    # the database again and sees the revocation.
    later = services.tokens.monotonic() + services.settings.token_cache_seconds + 0.1
    services.tokens.monotonic = lambda: later
    assert anon.get("/api/v1/auth/me", headers=h).status_code == 401
