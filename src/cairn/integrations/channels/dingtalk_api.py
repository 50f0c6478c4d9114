"""The DingTalk (钉钉) server API of an internal application, as its published docs describe
it (https://open.dingtalk.com/document/orgapp/):

- ``GET oapi/gettoken?appkey=&appsecret=`` → ``{errcode, access_token, expires_in}``, kept
  and renewed as ``work_api.WorkApi`` does: an answer saying the token is invalid or expired
  (errcode 40014 / 42001, or 88 with that ``sub_code``; HTTP 401 on the new API) drops it,
  fetches a new one and tries once more. The same token serves the new API
  (``api.dingtalk.com``) in the ``x-acs-dingtalk-access-token`` header;
- work notices: ``POST /topapi/message/corpconversation/asyncsend_v2`` (``agent_id``,
  ``userid_list``, ``msg``) → ``{errcode, task_id}``;
- the directory: ``POST /topapi/v2/department/listsub`` (the sub-departments of one, walked
  from the root), ``POST /topapi/v2/department/get``, ``POST /topapi/v2/user/list`` (paged by
  ``cursor``/``size`` ≤ 100 until ``has_more`` is false), ``POST /topapi/v2/user/get`` (a
  user's ``unionid``);
- to-dos (待办): ``POST /v1.0/todo/users/{unionId}/tasks`` → ``{id, ...}`` and
  ``PUT /v1.0/todo/users/{unionId}/tasks/{taskId}`` with ``{"done": true}``.
"""

from __future__ import annotations

import urllib.parse
from typing import Any, Protocol

import httpx

from cairn.integrations.channels import http
from cairn.integrations.channels.base import ChannelConfig, ChannelEnv
from cairn.integrations.channels.tokens import TokenCache
from cairn.integrations.channels.work_api import TOKEN_CODES, ApiSettings, WorkApi

#: Busy, or a frequency limit: later may work.
RETRY_CODES = frozenset({-1, 90002, 90018})
#: New-API statuses whose body says what went wrong (the others: ``http.request`` decides).
ANSWERED = frozenset({400, 401, 403, 404})
#: A user list page (the API's maximum).
PAGE = 100


class DingTalkSettings(ApiSettings, Protocol):
    api_url: str


class DingTalkApi(WorkApi):
    credentials = (("appkey", "app_key"), ("appsecret", "app_secret"))
    retry_codes = RETRY_CODES

    def __init__(
        self, env: ChannelEnv, config: ChannelConfig, tokens: TokenCache, s: DingTalkSettings
    ) -> None:
        super().__init__(env, config, tokens, s)
        self.api = s.api_url.rstrip("/")

    def lapsed(self, data: Any) -> bool:
        if super().lapsed(data):
            return True
        codes = {str(c) for c in TOKEN_CODES}
        return (
            isinstance(data, dict)
            and data.get("errcode") == 88
            and str(data.get("sub_code")) in codes
        )

    # -- the old API (oapi.dingtalk.com) ---------------------------------------------------------
    def oapi(self, path: str, body: dict[str, Any], to: str = "") -> dict[str, Any]:
        """``POST`` to the old API with the kept token (renewed once when it lapsed)."""
        return self.call("POST", path, body=body, to=to)

    # -- the new API (api.dingtalk.com) ----------------------------------------------------------
    def v1(self, method: str, path: str, body: dict[str, Any], to: str = "") -> dict[str, Any]:
        """A call to the new API with the kept token in its header (renewed once on 401)."""

        def send(token: str) -> httpx.Response:
            return http.request(
                self.env,
                self.config,
                method,
                f"{self.api}{path}",
                content=http.json_body(body),
                headers={"Content-Type": "application/json", "x-acs-dingtalk-access-token": token},
                timeout=self.timeout,
                to=to,
                answered=ANSWERED,
            )

        r = self.with_token(send, lambda r: r.status_code == 401)
        data = http.answer(r)
        if r.status_code >= 300:
            what = data if isinstance(data, dict) else {}
            detail = f"HTTP {r.status_code} {what.get('code', '')}: {what.get('message', '')}"
            error = self.fail(detail.strip(), False, to)
            error.status_code = r.status_code  # type: ignore[attr-defined]
            raise error
        return data if isinstance(data, dict) else {}

    # -- what Cairn does with it -----------------------------------------------------------------
    def send_notice(self, userid: str, msg: dict[str, Any]) -> dict[str, Any]:
        """A work notice (工作通知) to one user: ``msg`` is ``{msgtype, <msgtype>: ...}``."""
        body = {"agent_id": self.agent_id, "userid_list": userid, "msg": msg}
        return self.oapi("/topapi/message/corpconversation/asyncsend_v2", body, userid)

    def department(self, dept_id: int) -> dict[str, Any]:
        return dict(
            self.oapi("/topapi/v2/department/get", {"dept_id": dept_id}).get("result") or {}
        )

    def departments(self, root: int = 1) -> list[dict[str, Any]]:
        """The root and every department below it (``dept_id``, ``name``, ``parent_id``),
        parents before their children: ``listsub`` gives one level at a time."""
        top = self.department(root)
        out = [{"dept_id": root, "name": top.get("name") or str(root), "parent_id": None}]
        todo = [root]
        while todo:
            parent = todo.pop(0)
            data = self.oapi("/topapi/v2/department/listsub", {"dept_id": parent})
            for d in data.get("result") or []:
                out.append(d)
                todo.append(int(d["dept_id"]))
        return out

    def users(self, dept_id: str) -> list[dict[str, Any]]:
        """The users of one department, page by page (``cursor``, ``has_more``)."""
        out: list[dict[str, Any]] = []
        cursor = 0
        while True:
            body = {"dept_id": int(dept_id), "cursor": cursor, "size": PAGE}
            result = self.oapi("/topapi/v2/user/list", body).get("result") or {}
            out.extend(result.get("list") or [])
            if not result.get("has_more"):
                return out
            cursor = int(result.get("next_cursor") or 0)

    def unionid(self, userid: str) -> str:
        """A user's unionId (what the to-do API names people by)."""
        result = self.oapi("/topapi/v2/user/get", {"userid": userid}, userid).get("result") or {}
        union = result.get("unionid")
        if not union:
            raise self.fail(f"DingTalk has no unionId for the user '{userid}'", False, userid)
        return str(union)

    def create_todo(self, unionid: str, body: dict[str, Any], to: str = "") -> dict[str, Any]:
        u = urllib.parse.quote(unionid, safe="")
        return self.v1("POST", f"/v1.0/todo/users/{u}/tasks?operatorId={u}", body, to)

    def finish_todo(self, unionid: str, todo_id: str, to: str = "") -> dict[str, Any]:
        u = urllib.parse.quote(unionid, safe="")
        t = urllib.parse.quote(todo_id, safe="")
        return self.v1("PUT", f"/v1.0/todo/users/{u}/tasks/{t}?operatorId={u}", {"done": True}, to)
