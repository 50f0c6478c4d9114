"""The browser tests' handle on the server they drive: its address, the administrator the demo
printed, and plain API calls to check what the UI did (a module of its own, not the conftest, so
test modules import it by a name no other folder's conftest shares)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


class Server:
    def __init__(
        self, url: str, login: tuple[str, str] = ("", ""), token: str | None = None
    ) -> None:
        self.url = url
        self.login = login  # the administrator the demo printed
        self.token = token  # a bearer token for the tests' own API calls

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """A plain HTTP call to the API (to check what the UI did, never to do it for the UI)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={
                "content-type": "application/json",
                "accept-language": "en",
                **({"authorization": f"Bearer {self.token}"} if self.token else {}),
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                raw = r.read()
                return json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            raise AssertionError(f"{method} {path}: {e.code} {e.read()[:300]!r}") from None

    def has_route(self, path: str) -> bool:
        paths = self.api("GET", "/openapi.json")["paths"]
        return path in paths
