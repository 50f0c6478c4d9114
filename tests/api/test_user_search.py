"""Looking users up while someone types (the @-mention list): a search term and a limit,
applied by the database, on SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.services import Services
from factories import make_user

U = "/api/v1/users"


def names(r: object) -> list[str]:
    return [u["username"] for u in r.json()["items"]]  # type: ignore[attr-defined]


def test_search_and_limit_for_mentions(services: Services, client: TestClient) -> None:
    for i in range(30):
        make_user(services, f"li_{i:02d}", display_name=f"李{i}")
    make_user(services, "wang_fang", display_name="王芳")
    gone, _ = make_user(services, "li_gone", display_name="李走了")
    assert client.patch(f"{U}/{gone}", json={"status": "disabled"}).status_code == 200
    r = client.get(U, params={"search": "li", "limit": 5, "active": "true"})
    assert r.status_code == 200, r.text
    assert names(r) == ["li_00", "li_01", "li_02", "li_03", "li_04"]
    # By display name, case-insensitive, and disabled users left out only when asked.
    assert names(client.get(U, params={"search": "王"})) == ["wang_fang"]
    assert names(client.get(U, params={"search": "WANG"})) == ["wang_fang"]
    assert "li_gone" in names(client.get(U, params={"search": "走"}))
    assert names(client.get(U, params={"search": "走", "active": "true"})) == []
    # LIKE wildcards in the term are plain text.
    assert names(client.get(U, params={"search": "%"})) == []
    assert names(client.get(U, params={"search": "i_0", "limit": 100})) == [
        f"li_{i:02d}" for i in range(10)
    ]
    assert len(names(client.get(U))) == 33  # the admin too; no limit: all of them
    for bad in ({"limit": 0}, {"limit": 101}, {"limit": "x"}, {"search": "x" * 101}):
        assert client.get(U, params=bad).status_code == 422, bad


def test_members_see_active_users_within_the_limit(services: Services, client: TestClient) -> None:
    for i in range(5):
        make_user(services, f"li_{i}", display_name=f"李{i}", email=f"li{i}@example.com")
    off, _ = make_user(services, "li_off")
    assert client.patch(f"{U}/{off}", json={"status": "disabled"}).status_code == 200
    _, token = make_user(services, "bob")
    headers = {"accept-language": "en", "authorization": f"Bearer {token}"}
    with TestClient(create_app(services), headers=headers) as bob:
        r = bob.get(U, params={"search": "li", "limit": 3})
        assert r.status_code == 200, r.text
        assert names(r) == ["li_0", "li_1", "li_2"]
        assert "email" not in r.json()["items"][0]
        assert "li_off" not in names(bob.get(U, params={"search": "li"}))


def test_just_the_users_a_page_names(services: Services, client: TestClient) -> None:
    """``ids``: the record page asks for the people its history and fields name, not the whole
    directory. Administrators get each user's roles and other departments as one by one."""
    ids = [make_user(services, f"u{i}", display_name=f"用户{i}")[0] for i in range(6)]
    dept = client.post("/api/v1/departments", json={"name": "售后部"}).json()["id"]
    role = {"key": "viewer", "name": "Viewer", "tables": [], "members": ["u1", "u3"]}
    assert client.post("/api/v1/roles", json=role).status_code == 201
    assert client.patch(f"{U}/{ids[3]}", json={"department_ids": [dept]}).status_code == 200
    wanted = [ids[5], ids[1], ids[3]]
    r = client.get(U, params={"ids": ",".join(map(str, wanted))})
    assert r.status_code == 200, r.text
    assert names(r) == ["u1", "u3", "u5"]
    one_by_one = [client.get(f"{U}/{i}").json() for i in sorted(wanted)]
    assert r.json()["items"] == one_by_one
    assert [u["roles"] for u in one_by_one] == [["viewer"], ["viewer"], []]
    assert one_by_one[1]["department_ids"] == [dept]
    assert names(client.get(U, params={"ids": "999999"})) == []
    too_many = ",".join(str(i) for i in range(1, 202))
    for bad in ("", "1,,2", "1;2", "x", "-1", too_many):
        assert client.get(U, params={"ids": bad}).status_code == 422, bad
