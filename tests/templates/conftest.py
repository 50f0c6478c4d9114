"""The templates' tests start from an empty installation (no ``crm`` app), once per back end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cairn.core import FrozenClock
from cairn.services import Services
from factories import make_services


@pytest.fixture
def services(db_url: str, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[Services]:
    s = make_services(db_url, tmp_path / "data", frozen_clock)
    yield s
    s.close()
