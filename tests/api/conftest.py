from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.core import FrozenClock
from cairn.services import Services
from factories import make_crm, make_services


@pytest.fixture
def services(db_url: str, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[Services]:
    s = make_services(db_url, tmp_path / "data", frozen_clock)
    yield s
    s.close()


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services), headers={"accept-language": "en"}) as c:
        yield c


@pytest.fixture
def crm(services: Services, client: TestClient) -> TestClient:
    make_crm(services)
    return client


R = "/api/v1/apps/crm/tables/customers/records"
