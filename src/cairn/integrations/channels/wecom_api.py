"""The WeCom (企业微信) server API of a self-built application, as its published docs describe
it (https://developer.work.weixin.qq.com/document/path/90664 and on):

- ``GET /cgi-bin/gettoken?corpid=&corpsecret=`` → ``{errcode, access_token, expires_in}``,
  kept until shortly before it expires (``tokens.TokenCache``); an answer with errcode 40014
  (invalid token) or 42001 (expired) drops it, fetches a new one and tries once more;
- ``POST /cgi-bin/message/send`` an application message to one member (``touser``); a member
  WeCom does not know comes back in ``invaliduser`` with errcode 0: that is a failure here;
- ``POST /cgi-bin/message/update_template_card`` with the ``response_code`` of a sent card;
- ``GET /cgi-bin/department/list`` (every department below the root at once) and
  ``GET /cgi-bin/user/list?department_id=`` (the members of one department; WeCom does not
  page this call).

Every answer is ``{"errcode": 0, ...}`` on success; -1 (busy) and 45009 (rate limit) are
worth retrying, other codes are not."""

from __future__ import annotations

from typing import Any

from cairn.integrations.channels import http
from cairn.integrations.channels.base import ChannelConfig, ChannelEnv, ChannelError
from cairn.integrations.channels.tokens import TokenCache, token_key

#: Invalid or expired access token: fetch a new one and try again once.
TOKEN_CODES = frozenset({40014, 42001})
#: Busy, or the API's frequency limit: later may work.
RETRY_CODES = frozenset({-1, 45009, 45033})


class WeComApi:
    def __init__(
        self,
        env: ChannelEnv,
        config: ChannelConfig,
        tokens: TokenCache,
        *,
        corp_id: str,
        secret: str,
        agent_id: int,
        base_url: str,
        timeout: float = 10.0,
    ) -> None:
        self.env = env
        self.config = config
        self.tokens = tokens
        self.corp_id = corp_id
        self.secret = secret
        self.agent_id = agent_id
        self.base = base_url.rstrip("/")
        self.timeout = timeout
        self.key = token_key(config.key, corp_id, secret)

    def fail(self, detail: str, retryable: bool, to: str = "") -> ChannelError:
        return ChannelError(detail, retryable, channel=self.config.key, recipient=to or None)

    # -- the token -------------------------------------------------------------------------------
    def _fetch_token(self) -> tuple[str, int]:
        r = http.request(
            self.env,
            self.config,
            "GET",
            f"{self.base}/cgi-bin/gettoken",
            params={"corpid": self.corp_id, "corpsecret": self.secret},
            timeout=self.timeout,
        )
        data = http.check_errcode(self.config, r, RETRY_CODES)
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            raise self.fail("gettoken answered without an access_token", False)
        return token, int(data.get("expires_in") or 7200)

    def token(self) -> str:
        return self.tokens.get(self.key, self._fetch_token)

    # -- calls -----------------------------------------------------------------------------------
    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        to: str = "",
    ) -> dict[str, Any]:
        """One API call with the kept token (renewed once when WeCom says it lapsed); the
        answer, or ``ChannelError``."""
        for attempt in (1, 2):
            query = {**(params or {}), "access_token": self.token()}
            r = http.request(
                self.env,
                self.config,
                method,
                f"{self.base}{path}",
                params=query,
                content=http.json_body(body) if body is not None else None,
                headers={"Content-Type": "application/json"} if body is not None else None,
                timeout=self.timeout,
                to=to,
            )
            data = http.answer(r)
            code = data.get("errcode") if isinstance(data, dict) else None
            if code in TOKEN_CODES and attempt == 1:
                self.tokens.drop(self.key)
                continue
            return http.check_errcode(self.config, r, RETRY_CODES, to)
        raise AssertionError("unreachable")

    def send(self, userid: str, message: dict[str, Any]) -> dict[str, Any]:
        """An application message (``message``: msgtype and its part) to one member."""
        body = {"touser": userid, "agentid": self.agent_id, **message}
        data = self.call("POST", "/cgi-bin/message/send", body=body, to=userid)
        if data.get("invaliduser") or data.get("unlicenseduser"):
            raise self.fail(f"WeCom does not know the member '{userid}'", False, userid)
        return data

    def update_card(self, userid: str, response_code: str, replace_name: str) -> dict[str, Any]:
        """Turn the button of a sent task card into ``replace_name`` (e.g. 已处理)."""
        body = {
            "userids": [userid],
            "agentid": self.agent_id,
            "response_code": response_code,
            "button": {"replace_name": replace_name},
        }
        return self.call("POST", "/cgi-bin/message/update_template_card", body=body, to=userid)

    def departments(self) -> list[dict[str, Any]]:
        """Every department the application may see: ``{id, name, parentid, order}`` each."""
        data = self.call("GET", "/cgi-bin/department/list")
        return list(data.get("department") or [])

    def users(self, department_id: int | str) -> list[dict[str, Any]]:
        """The members of one department (``userid``, ``name``, ``department``,
        ``main_department``, ``mobile``, ``email``, ``status`` where WeCom still gives them)."""
        data = self.call("GET", "/cgi-bin/user/list", params={"department_id": str(department_id)})
        return list(data.get("userlist") or [])
