"""The API docs at /docs render with no network: every request not to 127.0.0.1 is aborted."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from webserver import Server


def test_the_api_docs_render_offline(context: Any, page: Any, server: Server) -> None:
    blocked: list[str] = []

    def only_local(route: Any) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page.set_default_timeout(15_000)
    page.goto(server.url + "/docs")
    # The operations of the API, grouped by tag, and the version badge of OpenAPI 3.1.
    page.locator(".opblock-summary-path", has_text="/api/v1/health").first.wait_for()
    assert page.locator(".opblock").count() > 50
    assert "OAS 3.1" in page.locator(".info").inner_text()
    assert blocked == []
