"""What the WeCom and DingTalk server APIs share, in one client base: an application's access
token from ``gettoken`` (``{errcode, access_token, expires_in}``), kept in ``tokens.TokenCache``
until shortly before it expires; calls that carry it and, when the platform answers that it is
invalid or expired, drop it, fetch a new one and try once more; and answers ``{"errcode": 0,
...}`` on success, another code a ``ChannelError`` (retryable for the platform's busy and
rate-limit codes).

A platform's client (``wecom_api``, ``dingtalk_api``) names its ``gettoken`` path, the query
names of its credentials and its retryable codes, and adds the calls Cairn makes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Protocol

import httpx

from cairn.integrations.channels import http
from cairn.integrations.channels.base import ChannelConfig, ChannelEnv, ChannelError
from cairn.integrations.channels.tokens import TokenCache, token_key

#: Invalid (40014) or expired (42001) access token, on both platforms.
TOKEN_CODES = frozenset({40014, 42001})


class ApiSettings(Protocol):
    """The settings every platform application has (besides its credentials)."""

    agent_id: int
    base_url: str
    timeout: float


class WorkApi:
    """The server API of one platform application, for one channel config."""

    #: The ``gettoken`` path under ``base_url``.
    gettoken_path: ClassVar[str] = "/gettoken"
    #: ``gettoken``'s query names → the settings holding them (in the order the cache key
    #: digests them).
    credentials: ClassVar[tuple[tuple[str, str], ...]] = ()
    #: Error codes worth trying again later (busy, a frequency limit).
    retry_codes: ClassVar[frozenset[int]] = frozenset()

    def __init__(
        self, env: ChannelEnv, config: ChannelConfig, tokens: TokenCache, s: ApiSettings
    ) -> None:
        self.env = env
        self.config = config
        self.tokens = tokens
        self.agent_id = s.agent_id
        self.base = s.base_url.rstrip("/")
        self.timeout = s.timeout
        self.token_params = {q: str(getattr(s, name)) for q, name in self.credentials}
        self.key = token_key(config.key, *self.token_params.values())

    def fail(self, detail: str, retryable: bool, to: str = "") -> ChannelError:
        return ChannelError(detail, retryable, channel=self.config.key, recipient=to or None)

    # -- the token -------------------------------------------------------------------------------
    def _fetch_token(self) -> tuple[str, int]:
        r = http.request(
            self.env,
            self.config,
            "GET",
            f"{self.base}{self.gettoken_path}",
            params=self.token_params,
            timeout=self.timeout,
        )
        data = http.check_errcode(self.config, r, self.retry_codes)
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            raise self.fail("gettoken answered without an access_token", False)
        return token, int(data.get("expires_in") or 7200)

    def token(self) -> str:
        return self.tokens.get(self.key, self._fetch_token)

    def with_token(
        self, send: Callable[[str], httpx.Response], lapsed: Callable[[httpx.Response], bool]
    ) -> httpx.Response:
        """``send`` with the kept token; once more with a new one when the answer ``lapsed``."""
        r = send(self.token())
        if lapsed(r):
            self.tokens.drop(self.key)
            r = send(self.token())
        return r

    def lapsed(self, data: Any) -> bool:
        """Whether an answer says the token is invalid or expired."""
        return isinstance(data, dict) and data.get("errcode") in TOKEN_CODES

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
        """One call with the token in the query (``access_token``); the answer, or
        ``ChannelError``."""

        def send(token: str) -> httpx.Response:
            return http.request(
                self.env,
                self.config,
                method,
                f"{self.base}{path}",
                params={**(params or {}), "access_token": token},
                content=http.json_body(body) if body is not None else None,
                headers={"Content-Type": "application/json"} if body is not None else None,
                timeout=self.timeout,
                to=to,
            )

        r = self.with_token(send, lambda r: self.lapsed(http.answer(r)))
        return http.check_errcode(self.config, r, self.retry_codes, to)

    def send_notice(self, userid: str, msg: dict[str, Any]) -> dict[str, Any]:
        """A message (``msg``: ``{msgtype, <msgtype>: ...}``) from the application to one
        person."""
        raise NotImplementedError
