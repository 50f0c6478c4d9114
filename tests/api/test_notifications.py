"""The notification centre over HTTP: each user sees and marks only their own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.services import Services
from cairn.services.notify import OutboundMessage
from factories import make_user

N = "/api/v1/notifications"


@pytest.fixture
def alice(services: Services) -> Iterator[tuple[int, TestClient]]:
    user_id, token = make_user(services, "alice")
    headers = {"accept-language": "en", "authorization": f"Bearer {token}"}
    with TestClient(create_app(services), headers=headers) as c:
        yield user_id, c


@pytest.fixture
def bob(services: Services) -> Iterator[tuple[int, TestClient]]:
    user_id, token = make_user(services, "bob")
    headers = {"accept-language": "zh-CN", "authorization": f"Bearer {token}"}
    with TestClient(create_app(services), headers=headers) as c:
        yield user_id, c


def notify(services: Services, user_id: int, n: int, title: str = "提醒") -> None:
    for i in range(n):
        services.notify.send(
            OutboundMessage("inapp", [f"user:{user_id}"], subject=f"{title} {i}", body="正文")
        )


def test_list_newest_first_with_pages_and_unread_filter(
    services: Services, alice: tuple[int, TestClient]
) -> None:
    user_id, c = alice
    notify(services, user_id, 5)
    page = c.get(N, params={"limit": 2}).json()
    assert [n["title"] for n in page["items"]] == ["提醒 4", "提醒 3"]
    assert page["unread"] == 5 and page["next_cursor"]
    rest = c.get(N, params={"limit": 10, "cursor": page["next_cursor"]}).json()
    assert [n["title"] for n in rest["items"]] == ["提醒 2", "提醒 1", "提醒 0"]
    assert rest["next_cursor"] is None
    newest = page["items"][0]["id"]
    read = c.post(f"{N}/{newest}/read")
    assert read.status_code == 200 and read.json()["read"] is True
    assert c.get(f"{N}/unread-count").json() == {"unread": 4}
    unread = c.get(N, params={"unread": "true"}).json()["items"]
    assert newest not in [n["id"] for n in unread] and len(unread) == 4
    assert c.post(f"{N}/read-all").json() == {"marked": 4}
    assert c.get(f"{N}/unread-count").json() == {"unread": 0}
    assert c.get(N, params={"unread": "true"}).json()["items"] == []
    assert len(c.get(N).json()["items"]) == 5


def test_a_user_sees_and_marks_only_their_own(
    services: Services, alice: tuple[int, TestClient], bob: tuple[int, TestClient]
) -> None:
    alice_id, a = alice
    bob_id, b = bob
    notify(services, alice_id, 2, "给 alice")
    notify(services, bob_id, 1, "给 bob")
    assert [n["title"] for n in b.get(N).json()["items"]] == ["给 bob 0"]
    alices = [n["id"] for n in a.get(N).json()["items"]]
    r = b.post(f"{N}/{alices[0]}/read")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "通知" in r.json()["detail"]  # bob reads Chinese
    b.post(f"{N}/read-all")
    assert a.get(f"{N}/unread-count").json() == {"unread": 2}
    assert b.get(f"{N}/unread-count").json() == {"unread": 0}


def test_needs_sign_in_and_valid_paging(anon: TestClient, client: TestClient) -> None:
    assert anon.get(N).status_code == 401
    assert client.get(N, params={"cursor": "abc"}).status_code == 422
    assert client.get(N, params={"limit": 0}).status_code == 422
