"""Local fakes of outside APIs (WeCom, DingTalk) that check the requests as the real ones
would and answer as their published docs say; ``transport`` routes a test's HTTP to them."""

from __future__ import annotations

from typing import Any, Protocol

import httpx


class Fake(Protocol):
    hosts: tuple[str, ...]

    def handle(self, request: httpx.Request) -> httpx.Response: ...


def transport(*fakes: Any) -> httpx.MockTransport:
    """One transport for several fakes, by host (a host none serves: connection refused)."""

    def route(request: httpx.Request) -> httpx.Response:
        for f in fakes:
            if request.url.host in f.hosts:
                return f.handle(request)
        raise httpx.ConnectError(f"nothing listens at {request.url.host}", request=request)

    return httpx.MockTransport(route)
