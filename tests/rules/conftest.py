"""Fixtures for the rule engine's tests (data in ``tests/rulesdata.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.core import FrozenClock
from cairn.services import Services
from factories import make_admin, make_services
from rulesdata import Worker, make_ops


@pytest.fixture
def services(db_url: str, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[Services]:
    s = make_services(db_url, tmp_path / "data", frozen_clock)
    yield s
    s.close()


@pytest.fixture
def users(services: Services) -> dict[str, int]:
    return make_ops(services)


@pytest.fixture
def client(services: Services, users: dict[str, int]) -> Iterator[TestClient]:
    token = make_admin(services)
    headers = {"accept-language": "en", "authorization": f"Bearer {token}"}
    with TestClient(create_app(services), headers=headers) as c:
        yield c


@pytest.fixture
def worker(services: Services) -> Worker:
    return Worker(services)
