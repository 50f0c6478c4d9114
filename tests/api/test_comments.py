"""Comments on records: who may comment, @mentions, deletion, the outbox event and the audit."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.services import Services
from cairn.store import system
from factories import make_user

R = "/api/v1/apps/crm/tables/customers/records"


def _client(services: Services, token: str) -> TestClient:
    return TestClient(
        create_app(services), headers={"accept-language": "en", "authorization": f"Bearer {token}"}
    )


def _events(services: Services, kind: str) -> list[dict]:
    o = system.outbox
    with services.engine.connect() as c:
        rows = c.execute(sa.select(o).where(o.c.type == kind).order_by(o.c.id)).all()
    return [dict(r._mapping) for r in rows]


def test_comment_with_mentions_lists_deletes_and_emits(crm: TestClient, services: Services) -> None:
    li, _ = make_user(services, "li.na", display_name="李娜")
    wang, wang_token = make_user(services, "wang")
    rec = crm.post(R, json={"name": "华东航空"}).json()["id"]

    r = crm.post(f"{R}/{rec}/comments", json={"body": "请 @li.na 和 @Wang 跟进。邮件 a@b.cn"})
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["mentions"] == [li, wang]  # in order; case-insensitive; an e-mail is no mention
    assert c["author"]["username"] == "admin"
    events = _events(services, "comment.created")
    assert len(events) == 1 and events[0]["record_id"] == rec
    assert events[0]["payload"]["mentions"] == [li, wang]
    assert events[0]["payload"]["comment_id"] == c["id"]

    # Wang may not read the record (no role yet): the notice would quote it, so none.
    li_token = make_user(services, "li.token.holder")[1]  # (another user: sees nothing)
    with _client(services, wang_token) as as_wang:
        assert as_wang.get("/api/v1/notifications").json()["items"] == []
    with _client(services, li_token) as other:
        assert other.get("/api/v1/notifications").json()["items"] == []

    # An unknown name is refused with the name, and nothing is saved.
    bad = crm.post(f"{R}/{rec}/comments", json={"body": "@nobody 看看"})
    assert bad.status_code == 422 and "nobody" in bad.text
    assert crm.post(f"{R}/{rec}/comments", json={"body": "   "}).status_code == 422
    assert crm.post(f"{R}/{rec}/comments", json={"body": "x" * 5001}).status_code == 422
    assert crm.post(f"{R}/999/comments", json={"body": "hi"}).status_code == 404
    listed = crm.get(f"{R}/{rec}/comments").json()
    assert [x["id"] for x in listed["items"]] == [c["id"]]

    # Wang has no role on the table: no reading, no commenting.
    with _client(services, wang_token) as as_wang:
        assert as_wang.get(f"{R}/{rec}/comments").status_code == 403
        assert as_wang.post(f"{R}/{rec}/comments", json={"body": "hi"}).status_code == 403
    # With read access Wang comments, and may delete only his own comment.
    crm.post(
        "/api/v1/roles",
        json={
            "key": "readers",
            "tables": [{"app": "crm", "table": "customers", "actions": ["read"]}],
            "members": ["wang"],
        },
    )
    with _client(services, wang_token) as as_wang:
        mine = as_wang.post(f"{R}/{rec}/comments", json={"body": "收到"}).json()
        assert as_wang.delete(f"{R}/{rec}/comments/{c['id']}").status_code == 403
        assert as_wang.delete(f"{R}/{rec}/comments/{mine['id']}").status_code == 204
    assert [x["id"] for x in crm.get(f"{R}/{rec}/comments").json()["items"]] == [c["id"]]
    assert len(_events(services, "comment.deleted")) == 1
    audit = crm.get("/api/v1/audit", params={"action": "comment.*"}).json()["items"]
    assert {e["action"] for e in audit} == {"comment.create", "comment.delete"}


def test_a_scoped_reader_cannot_comment_outside_the_scope(
    crm: TestClient, services: Services
) -> None:
    _, token = make_user(services, "zhou")
    crm.post(
        "/api/v1/roles",
        json={
            "key": "own",
            "tables": [
                {"app": "crm", "table": "customers", "actions": ["read"], "row_scope": "own"}
            ],
            "members": ["zhou"],
        },
    )
    rec = crm.post(R, json={"name": "别人的客户"}).json()["id"]
    with _client(services, token) as as_zhou:
        assert as_zhou.post(f"{R}/{rec}/comments", json={"body": "hi"}).status_code == 404
        assert as_zhou.get(f"{R}/{rec}/comments").status_code == 404


def test_a_mention_reaches_only_those_who_may_read_the_record(
    crm: TestClient, services: Services
) -> None:
    """The notice quotes the comment, so a mentioned user outside the record's read scope
    gets none (the mention itself stays in the comment)."""
    _, reader_token = make_user(services, "li")
    _, outsider_token = make_user(services, "wu")
    crm.post(
        "/api/v1/roles",
        json={
            "key": "readers",
            "tables": [{"app": "crm", "table": "customers", "actions": ["read"]}],
            "members": ["li"],
        },
    )
    rec = crm.post(R, json={"name": "机密客户"}).json()["id"]
    r = crm.post(f"{R}/{rec}/comments", json={"body": "@li @wu 请看报价 12 万"})
    assert r.status_code == 201, r.text
    assert len(r.json()["mentions"]) == 2
    with _client(services, reader_token) as li, _client(services, outsider_token) as wu:
        assert li.get("/api/v1/notifications/unread-count").json()["unread"] == 1
        note = li.get("/api/v1/notifications").json()["items"][0]
        assert note["link"].endswith(f"/customers/records/{rec}") and note["record_id"] == rec
        assert "12 万" in note["body"]
        assert wu.get("/api/v1/notifications/unread-count").json()["unread"] == 0
        assert "12 万" not in wu.get("/api/v1/notifications").text
