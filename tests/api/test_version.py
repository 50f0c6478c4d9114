"""GET /api/v1/version: what is answering (product, version, database kind), for monitoring."""

from __future__ import annotations

from fastapi.testclient import TestClient

import cairn
from cairn.services import Services


def test_version_answers_without_sign_in(anon: TestClient, services: Services) -> None:
    r = anon.get("/api/v1/version")
    assert r.status_code == 200
    assert r.json() == {
        "name": "Cairn",
        "version": cairn.__version__,
        "database": services.engine.dialect.name,
    }
    assert r.json()["database"] in ("sqlite", "postgresql")


def test_version_is_in_the_openapi_document(anon: TestClient) -> None:
    doc = anon.get("/openapi.json").json()
    op = doc["paths"]["/api/v1/version"]["get"]
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/Version")
    version = doc["components"]["schemas"]["Version"]
    assert set(version["required"]) == {"name", "version", "database"}
    assert version["properties"]["database"]["enum"] == ["sqlite", "postgresql"]


def test_version_says_nothing_more_when_signed_in(client: TestClient) -> None:
    assert set(client.get("/api/v1/version").json()) == {"name", "version", "database"}
