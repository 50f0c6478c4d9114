"""An ID number field marked sensitive: stored encrypted, read back in clear, and found by the
canonical key however it is typed (the blind index sees the normalised value)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.core import FrozenClock, Settings
from cairn.services import Services, build_services
from factories import make_admin, make_crm

T = "/api/v1/apps/crm/tables"
C = f"{T}/customers/records"
KEYS = "k1:" + base64.b64encode(b"1" * 32).decode()
ID = "11010519491231002X"


@pytest.fixture
def client(db_url: str, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url, encryption_keys=KEYS)
    services: Services = build_services(settings, clock=frozen_clock)
    make_crm(services)
    headers = {"accept-language": "en", "authorization": f"Bearer {make_admin(services)}"}
    with TestClient(create_app(services), headers=headers) as c:
        c.services = services  # type: ignore[attr-defined]
        yield c
    services.close()


def test_a_sensitive_id_number_is_encrypted_and_found_by_its_key(client: TestClient) -> None:
    r = client.post(
        f"{T}/customers/fields",
        json={
            "key": "id_no",
            "name": "身份证号",
            "type": "id_number",
            "options": {"sensitive": True, "identity_key": "id_number"},
        },
    )
    assert r.status_code == 201, r.text
    rec = client.post(C, json={"name": "甲", "id_no": "11010519491231002x"}).json()
    assert rec["id_no"] == ID
    services: Services = client.services  # type: ignore[attr-defined]
    with services.engine.connect() as conn:
        s = services.catalogs.get(conn).table("crm", "customers")
        f = s.by_key["id_no"]
        t = sa.table(s.table.sql_name, sa.column(f.column_name))
        stored = conn.execute(sa.select(t.c[f.column_name])).scalar_one()
    assert ID not in stored
    for typed in (ID, "11010519491231002x", "110105491231002"):
        found = client.post(
            f"{C}/query", json={"filter": {"field": "id_no", "op": "eq", "value": typed}}
        )
        assert [x["id"] for x in found.json()["items"]] == [rec["id"]], typed
    bad = client.post(C, json={"name": "乙", "id_no": "110105194912310021"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "id_no"
