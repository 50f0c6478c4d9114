"""Shared fixtures. The machinery (and how isolation works) is in ``tests/support/db.py``.

- ``db_url``: a SQLAlchemy URL to an empty database; every test using it runs twice,
  ``[sqlite]`` and ``[postgresql]`` (the latter marked ``postgres``: ``-m "not postgres"``
  leaves it out).
- ``redis_url``: ``redis://127.0.0.1:6379/15`` (per xdist worker: 15, 14, ...), flushed
  before and after the test.
- ``frozen_clock``: a ``cairn.core.FrozenClock`` standing at Monday 2026-01-05 09:00 UTC.
- ``services``: Cairn's services over ``db_url`` with the ``crm`` app of ``factories.make_crm``
  (a module or folder with other needs defines its own).

PostgreSQL or Redis missing: the test is skipped, or fails when ``CI=true``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cairn.core import FrozenClock
from cairn.services import Services
from factories import make_crm, make_services
from support.db import PostgresTestDatabase, RedisTestDatabase, sqlite_url


@pytest.fixture(scope="session")
def pg_database() -> Iterator[PostgresTestDatabase]:
    """This test process's throw-away PostgreSQL database (not reset: use ``db_url``)."""
    db = PostgresTestDatabase.create()
    yield db
    db.drop()


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL to an empty database, once per back end."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "cairn.db")
    db: PostgresTestDatabase = request.getfixturevalue("pg_database")
    db.reset()
    return db.url


@pytest.fixture(scope="session")
def redis_database() -> RedisTestDatabase:
    return RedisTestDatabase.for_worker()


@pytest.fixture
def redis_url(redis_database: RedisTestDatabase) -> Iterator[str]:
    with redis_database.lock():
        redis_database.flush()
        yield redis_database.url
        redis_database.flush()


@pytest.fixture
def frozen_clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def services(db_url: str, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[Services]:
    s = make_services(db_url, tmp_path / "data", frozen_clock)
    make_crm(s)
    yield s
    s.close()
