"""A fake of the WeCom (企业微信) server API (qyapi.weixin.qq.com) for one self-built app.

It checks what the real API checks: ``gettoken`` with the right corp id and secret, every
other call with a token it issued and that has not expired (by the test's clock: 40014
unknown, 42001 expired), the app's ``agentid``; a ``touser`` it does not know comes back in
``invaliduser`` with errcode 0, as WeCom does. A button-interaction card answers a
``response_code`` that ``update_template_card`` accepts once."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from cairn.core import Clock

HOST = "qyapi.weixin.qq.com"


@dataclass
class FakeWeCom:
    clock: Clock
    corp_id: str = "ww-corp"
    secret: str = "wx-secret"
    agent_id: int = 1000002
    hosts: tuple[str, ...] = (HOST,)
    #: Departments as ``department/list`` gives them.
    departments: list[dict[str, Any]] = field(default_factory=list)
    #: Members as ``user/list`` gives them (``department``: their department ids).
    users: list[dict[str, Any]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    card_updates: list[dict[str, Any]] = field(default_factory=list)
    token_requests: int = 0
    calls: list[str] = field(default_factory=list)
    tokens: dict[str, datetime] = field(default_factory=dict)
    codes: dict[str, bool] = field(default_factory=dict)
    _n: Any = field(default_factory=lambda: itertools.count(1))

    # -- what tests do ---------------------------------------------------------------------------
    def revoke_tokens(self) -> None:
        """WeCom forgot every token (a secret reset): the next call gets 40014."""
        self.tokens.clear()

    # -- the API -----------------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        q = request.url.params
        self.calls.append(path)
        if path == "/cgi-bin/gettoken":
            self.token_requests += 1
            if q.get("corpid") != self.corp_id:
                return ok({"errcode": 40013, "errmsg": "invalid corpid"})
            if q.get("corpsecret") != self.secret:
                return ok({"errcode": 40001, "errmsg": "invalid credential"})
            token = f"wx-token-{next(self._n)}"
            self.tokens[token] = self.clock.now() + timedelta(seconds=7200)
            return ok({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200})
        token = q.get("access_token")
        if token not in self.tokens:
            return ok({"errcode": 40014, "errmsg": "invalid access_token"})
        if self.tokens[token] <= self.clock.now():
            return ok({"errcode": 42001, "errmsg": "access_token expired"})
        if path == "/cgi-bin/message/send":
            return self.send(json.loads(request.content))
        if path == "/cgi-bin/message/update_template_card":
            return self.update_card(json.loads(request.content))
        if path == "/cgi-bin/department/list":
            return ok({"errcode": 0, "errmsg": "ok", "department": self.departments})
        if path == "/cgi-bin/user/list":
            dept = int(q.get("department_id", "0"))
            members = [u for u in self.users if dept in u.get("department", [])]
            return ok({"errcode": 0, "errmsg": "ok", "userlist": members})
        return httpx.Response(404)

    def send(self, body: dict[str, Any]) -> httpx.Response:
        if body.get("agentid") != self.agent_id:
            return ok({"errcode": 40056, "errmsg": "invalid agentid"})
        known = {u["userid"] for u in self.users}
        to = body.get("touser", "")
        if to not in known:
            return ok({"errcode": 0, "errmsg": "ok", "invaliduser": to, "msgid": ""})
        self.sent.append(body)
        out: dict[str, Any] = {"errcode": 0, "errmsg": "ok", "msgid": f"msg-{next(self._n)}"}
        if body.get("msgtype") == "template_card":
            code = f"rc-{next(self._n)}"
            self.codes[code] = False
            out["response_code"] = code
        return ok(out)

    def update_card(self, body: dict[str, Any]) -> httpx.Response:
        code = body.get("response_code")
        if code not in self.codes or self.codes[code]:
            return ok({"errcode": 40000, "errmsg": "invalid response_code"})
        if body.get("agentid") != self.agent_id:
            return ok({"errcode": 40056, "errmsg": "invalid agentid"})
        self.codes[code] = True
        self.card_updates.append(body)
        return ok({"errcode": 0, "errmsg": "ok", "invaliduser": []})


def ok(data: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json=data)
