"""What API tests do over and over, once: create something and get it back.

``created`` posts and insists on 201 (a refusal fails the test with the reply's problem
document, so the cause shows instead of a later KeyError); ``make_table`` creates a table in an
app from its field list, as the tests' own schemas are set up over HTTP.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

TABLES = "/api/v1/apps/{app}/tables"


def created(client: TestClient, url: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST ``body`` to ``url``; the created item (201 or the test fails with the reply)."""
    r = client.post(url, json=body)
    assert r.status_code == 201, r.text
    item: dict[str, Any] = r.json()
    return item


def make_table(
    client: TestClient, app: str, key: str, name: str, fields: list[dict[str, Any]]
) -> dict[str, Any]:
    """Table ``key`` in ``app`` with ``fields`` (as ``POST /apps/{app}/tables`` takes them)."""
    return created(client, TABLES.format(app=app), {"key": key, "name": name, "fields": fields})
