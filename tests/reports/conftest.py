from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cairn.core import FrozenClock
from cairn.services import Services
from factories import make_services
from servicedata import make_service_app


@pytest.fixture
def svc(db_url: str, tmp_path: Path) -> Iterator[Services]:
    """Services over the fixed after-sales data set (app ``svc``)."""
    s = make_services(db_url, tmp_path / "data", FrozenClock())
    make_service_app(s)
    yield s
    s.close()
