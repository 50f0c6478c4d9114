"""Marking a field as an identity key through HTTP: the reply says what was re-normalised;
a sensitive field's values are opened, normalised and sealed again with their blind index
(found by the canonical key afterwards). On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.core import FrozenClock, Settings
from cairn.services import Services, build_services
from factories import make_admin, make_crm

T = "/api/v1/apps/crm/tables/customers"
KEYS = "k1:" + base64.b64encode(b"1" * 32).decode()


@pytest.fixture
def client(db_url: str, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url, encryption_keys=KEYS)
    services: Services = build_services(settings, clock=frozen_clock)
    make_crm(services)
    headers = {"accept-language": "en", "authorization": f"Bearer {make_admin(services)}"}
    with TestClient(create_app(services), headers=headers) as c:
        yield c
    services.close()


@pytest.mark.parametrize("sensitive", [False, True])
def test_the_reply_counts_changed_and_invalid_values(client: TestClient, sensitive: bool) -> None:
    spec = {"key": "pp", "name": "护照", "type": "text", "options": {"sensitive": sensitive}}
    assert client.post(f"{T}/fields", json=spec).status_code == 201
    for v in (" e1234 5678 ", "E87654321", "!!"):
        assert client.post(f"{T}/records", json={"name": "a", "pp": v}).status_code == 201
    body = {"options": {"identity_key": "passport", "sensitive": sensitive}}
    r = client.patch(f"{T}/fields/pp", json=body)
    assert r.status_code == 200, r.text
    report = r.json()["renormalised"]
    assert (report["changed"], report["invalid"]) == (1, 1)
    assert report["invalid_values"][0]["value"] == "!!"
    found = client.post(
        f"{T}/records/query", json={"filter": {"field": "pp", "op": "eq", "value": "E12345678"}}
    ).json()["items"]
    assert [x["pp"] for x in found] == ["E12345678"]
