"""A fake of the DingTalk (钉钉) server API for one internal app: the old API
(oapi.dingtalk.com: token, work notices, departments, users) and the new one
(api.dingtalk.com: to-dos).

It checks what the real API checks: ``gettoken`` with the right app key and secret, every
other call with a token it issued that has not expired (by the test's clock: errcode 40014 /
42001 on the old API, HTTP 401 ``InvalidAuthentication`` on the new), the ``agent_id``, the
user list's ``size`` (≤ 100) and ``cursor``, and that a to-do's executor is the user in its
path. It pages the user list ``page`` at a time (smaller than the client asks, so tests see
several pages)."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from cairn.core import Clock

OAPI = "oapi.dingtalk.com"
API = "api.dingtalk.com"
TODO = re.compile(r"^/v1\.0/todo/users/([^/]+)/tasks(?:/([^/]+))?$")


@dataclass
class FakeDingTalk:
    clock: Clock
    app_key: str = "ding-key"
    app_secret: str = "ding-secret"
    agent_id: int = 2000001
    hosts: tuple[str, ...] = (OAPI, API)
    #: ``{dept_id, name, parent_id}``; 1 is the root (the company).
    departments: list[dict[str, Any]] = field(
        default_factory=lambda: [{"dept_id": 1, "name": "总公司", "parent_id": None}]
    )
    #: ``{userid, unionid, name, mobile, dept_id_list, active}``.
    users: list[dict[str, Any]] = field(default_factory=list)
    page: int = 2
    notices: list[dict[str, Any]] = field(default_factory=list)
    todos: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: int = 0
    calls: list[str] = field(default_factory=list)
    tokens: dict[str, datetime] = field(default_factory=dict)
    _n: Any = field(default_factory=lambda: itertools.count(1))

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    def _token_problem(self, token: str | None) -> int | None:
        if token not in self.tokens:
            return 40014
        if self.tokens[token] <= self.clock.now():  # type: ignore[index]
            return 42001
        return None

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(f"{request.method} {request.url.path}")
        if request.url.host == API:
            return self.new_api(request)
        path, q = request.url.path, request.url.params
        if path == "/gettoken":
            self.token_requests += 1
            if q.get("appkey") != self.app_key or q.get("appsecret") != self.app_secret:
                return ok({"errcode": 40089, "errmsg": "不合法的corpid或corpsecret"})
            token = f"dt-token-{next(self._n)}"
            self.tokens[token] = self.clock.now() + timedelta(seconds=7200)
            return ok({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200})
        problem = self._token_problem(q.get("access_token"))
        if problem:
            return ok({"errcode": problem, "errmsg": "不合法的access_token"})
        body = json.loads(request.content or b"{}")
        if path == "/topapi/message/corpconversation/asyncsend_v2":
            if body.get("agent_id") != self.agent_id:
                return ok({"errcode": 40056, "errmsg": "不合法的agentid"})
            self.notices.append(body)
            return ok({"errcode": 0, "errmsg": "ok", "task_id": next(self._n)})
        if path == "/topapi/v2/department/get":
            d = self.dept(body.get("dept_id"))
            if d is None:
                return ok({"errcode": 60003, "errmsg": "部门不存在"})
            return ok(
                {
                    "errcode": 0,
                    "errmsg": "ok",
                    "result": {"dept_id": d["dept_id"], "name": d["name"]},
                }
            )
        if path == "/topapi/v2/department/listsub":
            subs = [d for d in self.departments if d.get("parent_id") == body.get("dept_id")]
            return ok({"errcode": 0, "errmsg": "ok", "result": subs})
        if path == "/topapi/v2/user/list":
            return self.user_list(body)
        if path == "/topapi/v2/user/get":
            u = next((u for u in self.users if u["userid"] == body.get("userid")), None)
            if u is None:
                return ok({"errcode": 60121, "errmsg": "找不到该用户"})
            return ok({"errcode": 0, "errmsg": "ok", "result": u})
        return httpx.Response(404)

    def dept(self, dept_id: Any) -> dict[str, Any] | None:
        return next((d for d in self.departments if d["dept_id"] == dept_id), None)

    def user_list(self, body: dict[str, Any]) -> httpx.Response:
        size, cursor = body.get("size"), body.get("cursor")
        if not isinstance(size, int) or not 1 <= size <= 100 or not isinstance(cursor, int):
            return ok({"errcode": 400002, "errmsg": "无效的参数"})
        members = [u for u in self.users if body.get("dept_id") in u.get("dept_id_list", [])]
        n = min(size, self.page)
        chunk = members[cursor : cursor + n]
        more = cursor + n < len(members)
        result = {"has_more": more, "list": chunk, **({"next_cursor": cursor + n} if more else {})}
        return ok({"errcode": 0, "errmsg": "ok", "result": result})

    def new_api(self, request: httpx.Request) -> httpx.Response:
        if self._token_problem(request.headers.get("x-acs-dingtalk-access-token")):
            return httpx.Response(
                401, json={"code": "InvalidAuthentication", "message": "不合法的access_token"}
            )
        m = TODO.match(request.url.path)
        if m is None:
            return httpx.Response(404, json={"code": "NotFound", "message": "no such API"})
        union, todo_id = m.group(1), m.group(2)
        if request.url.params.get("operatorId") != union:
            return httpx.Response(400, json={"code": "param.invalid", "message": "operatorId"})
        body = json.loads(request.content or b"{}")
        if request.method == "POST" and todo_id is None:
            if body.get("executorIds") != [union] or not body.get("subject"):
                return httpx.Response(400, json={"code": "param.invalid", "message": "executorIds"})
            new_id = f"todo-{next(self._n)}"
            self.todos[new_id] = {**body, "id": new_id, "done": False, "owner": union}
            return httpx.Response(
                200, json={"id": new_id, "subject": body["subject"], "done": False}
            )
        if request.method == "PUT" and todo_id is not None:
            todo = self.todos.get(todo_id)
            if todo is None or todo["owner"] != union:
                return httpx.Response(404, json={"code": "todoNotExist", "message": "待办不存在"})
            todo.update(body)
            return httpx.Response(200, json={"result": True})
        return httpx.Response(405)


def ok(data: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json=data)
