from __future__ import annotations

from fastapi.testclient import TestClient


def test_app_lifecycle(client: TestClient) -> None:
    r = client.post("/api/v1/apps", json={"key": "ga", "name": "通航客户管理"})
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "通航客户管理"
    assert [a["key"] for a in client.get("/api/v1/apps").json()["items"]] == ["ga"]
    r = client.patch("/api/v1/apps/ga", json={"name": "GA CRM"})
    assert r.json()["name"] == "GA CRM"
    assert client.delete("/api/v1/apps/ga").status_code == 204
    assert client.get("/api/v1/apps/ga").status_code == 404
    bin_ = client.get("/api/v1/apps/recycle-bin").json()["items"]
    assert [a["key"] for a in bin_] == ["ga"]
    r = client.post(f"/api/v1/apps/recycle-bin/{bin_[0]['id']}/restore")
    assert r.status_code == 200
    assert client.get("/api/v1/apps/ga").json()["name"] == "GA CRM"


def test_bad_app_keys_are_refused(client: TestClient) -> None:
    for key in ["Bad Key", "1abc", "select'; drop table apps;--", "id", "", "a" * 70]:
        r = client.post("/api/v1/apps", json={"key": key, "name": "x"})
        assert r.status_code == 422, key
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["field"] == "key"
    assert client.get("/api/v1/apps").json()["items"] == []


def test_duplicate_app_key(client: TestClient) -> None:
    client.post("/api/v1/apps", json={"key": "ga", "name": "A"})
    r = client.post("/api/v1/apps", json={"key": "ga", "name": "B"})
    assert r.status_code == 422
    assert "already used" in r.json()["errors"][0]["message"]


def test_sql_keyword_keys_are_harmless(client: TestClient) -> None:
    assert client.post("/api/v1/apps", json={"key": "select", "name": "x"}).status_code == 201
    r = client.post(
        "/api/v1/apps/select/tables",
        json={
            "key": "order",
            "name": "表",
            "fields": [{"key": "from", "type": "text"}, {"key": "where", "type": "number"}],
        },
    )
    assert r.status_code == 201, r.text
    r = client.post(
        "/api/v1/apps/select/tables/order/records",
        json={"from": "x'); drop table apps;--", "where": 1},
    )
    assert r.status_code == 201, r.text
    page = client.post(
        "/api/v1/apps/select/tables/order/records/query",
        json={"filter": {"field": "from", "op": "contains", "value": "'); DROP"}},
    ).json()
    assert page["items"][0]["from"] == "x'); drop table apps;--"


def test_errors_speak_the_callers_language(client: TestClient) -> None:
    r = client.get("/api/v1/apps/nope", headers={"accept-language": "zh-CN,zh;q=0.9"})
    assert r.status_code == 404
    assert r.json()["detail"] == "应用“nope”不存在。"
    r = client.get("/api/v1/apps/nope", headers={"accept-language": "en-US"})
    assert r.json()["detail"] == "There is no app 'nope'."


def test_malformed_json_is_a_clear_400(client: TestClient) -> None:
    r = client.post(
        "/api/v1/apps", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code in (400, 422)
    assert r.headers["content-type"].startswith("application/problem+json")
