"""Outbound HTTP shared by the HTTP channels, with one rule for what is worth retrying:
a time-out, a refused or broken connection, 429 and 5xx are; any other non-2xx is not."""

from __future__ import annotations

import ipaddress
import json
import socket
from typing import Any

import httpx

from cairn.integrations.channels.base import ChannelConfig, ChannelEnv, ChannelError


def request(
    env: ChannelEnv,
    config: ChannelConfig,
    method: str,
    url: str,
    *,
    content: bytes | None = None,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
    to: str = "",
    answered: frozenset[int] = frozenset(),
) -> httpx.Response:
    def fail(detail: str, retryable: bool, response: str | None = None) -> ChannelError:
        return ChannelError(
            detail, retryable, channel=config.key, recipient=to or None, response=response
        )

    if not url.startswith(("http://", "https://")):
        raise fail("the target address must be an http(s) URL", False)
    if env.block_private:
        host = httpx.URL(url).host
        if internal(host):
            raise fail(f"{host} is an internal address, which this server may not call", False)
    try:
        response = env.http().request(
            method, url, content=content, params=params, headers=headers, timeout=timeout
        )
    except httpx.TimeoutException:
        raise fail(f"no answer within {timeout:g} s", True) from None
    except httpx.InvalidURL as e:
        raise fail(f"invalid URL: {e}", False) from None
    except httpx.TransportError as e:
        raise fail(f"connection failed: {e}", True) from None
    code = response.status_code
    if 200 <= code < 300 or code in answered:  # ``answered``: the caller reads the body
        return response
    text = response.text[:200]
    raise fail(f"HTTP {code}: {text}", code >= 500 or code in (408, 429), described(response))


def internal(host: str) -> bool:
    """Whether ``host`` is or resolves to a loopback, private, link-local or reserved address
    (an unresolvable name is let through: the request then fails as a connection error)."""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (OSError, UnicodeError):
        return False
    for a in addresses:
        ip = ipaddress.ip_address(a.split("%")[0])
        if (
            ip.is_private
            or ip.is_loopback
            or ip.is_link_local
            or ip.is_reserved
            or ip.is_unspecified
        ):
            return True
    return False


#: An answer's body is kept up to this many characters.
MAX_ANSWER = 4000


def described(response: httpx.Response) -> str:
    """An answer as a delivery records it: the status line, then the body (truncated)."""
    text = response.text
    if len(text) > MAX_ANSWER:
        text = text[:MAX_ANSWER] + "…"
    return f"HTTP {response.status_code} {response.reason_phrase}".rstrip() + "\n" + text


def json_body(payload: Any) -> bytes:
    """The exact bytes sent (and signed): compact UTF-8 JSON."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def answer(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def check_errcode(
    config: ChannelConfig, response: httpx.Response, retry_codes: frozenset[int], to: str = ""
) -> dict[str, Any]:
    """Robots (WeCom, DingTalk) answer 200 with ``errcode``: 0 is success."""
    data = answer(response)
    if not isinstance(data, dict) or "errcode" not in data:
        raise ChannelError(
            f"unexpected answer: {response.text[:200]}",
            False,
            channel=config.key,
            recipient=to or None,
            response=described(response),
        )
    code = data.get("errcode")
    if code != 0:
        raise ChannelError(
            f"errcode {code}: {data.get('errmsg', '')}",
            code in retry_codes,
            channel=config.key,
            recipient=to or None,
            response=described(response),
        )
    return data
