from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.core import FrozenClock
from cairn.services import Services
from factories import make_admin, make_crm, make_services


@pytest.fixture
def services(db_url: str, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[Services]:
    s = make_services(db_url, tmp_path / "data", frozen_clock)
    yield s
    s.close()


@pytest.fixture
def admin_token(services: Services) -> str:
    return make_admin(services)


@pytest.fixture
def client(services: Services, admin_token: str) -> Iterator[TestClient]:
    """A client signed in as an administrator (bearer token)."""
    headers = {"accept-language": "en", "authorization": f"Bearer {admin_token}"}
    with TestClient(create_app(services), headers=headers) as c:
        yield c


@pytest.fixture
def anon(services: Services) -> Iterator[TestClient]:
    """A client that is not signed in."""
    with TestClient(create_app(services), headers={"accept-language": "en"}) as c:
        yield c


@pytest.fixture
def crm(services: Services, client: TestClient) -> TestClient:
    make_crm(services)
    return client


R = "/api/v1/apps/crm/tables/customers/records"
