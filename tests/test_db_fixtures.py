"""The test machinery itself: database URLs for both back ends, Redis, the frozen clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from cairn.core import FrozenClock
from support.db import TEST_DB_PREFIX, PostgresTestDatabase, RedisTestDatabase, worker_id


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def test_db_url_connects_to_an_empty_throwaway_database(db_url: str, tmp_path) -> None:
    engine = _engine(db_url)
    try:
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1
            assert sa.inspect(conn).get_table_names() == []
            if engine.dialect.name == "postgresql":
                name = conn.execute(sa.text("SELECT current_database()")).scalar()
                assert name.startswith(TEST_DB_PREFIX)
                assert name.endswith(f"_{worker_id()}")
            else:
                assert engine.dialect.name == "sqlite"
                assert sa.make_url(db_url).database == str((tmp_path / "cairn.db").resolve())
            # Leave something behind: the next test on this worker must not see it.
            conn.execute(sa.text("CREATE TABLE leftover (id INTEGER PRIMARY KEY)"))
    finally:
        engine.dispose()


def test_db_url_is_empty_again(db_url: str) -> None:
    engine = _engine(db_url)
    try:
        with engine.begin() as conn:
            assert sa.inspect(conn).get_table_names() == []
            conn.execute(sa.text("CREATE TABLE leftover (id INTEGER PRIMARY KEY)"))
    finally:
        engine.dispose()


def test_postgres_reset_drops_everything(pg_database: PostgresTestDatabase) -> None:
    assert pg_database.name.startswith(TEST_DB_PREFIX)
    engine = _engine(pg_database.url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE public.t (id serial PRIMARY KEY)"))
            conn.execute(sa.text("CREATE SCHEMA extra"))
            conn.execute(sa.text("CREATE TABLE extra.u (id int)"))
        # An engine still holding a connection must not block the reset.
        leaked = engine.connect()
        leaked.execute(sa.text("SELECT * FROM public.t"))
        pg_database.reset()
        with _engine(pg_database.url).connect() as conn:
            schemas = conn.execute(
                sa.text(
                    "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%'"
                    " AND nspname <> 'information_schema' ORDER BY 1"
                )
            ).scalars()
            assert list(schemas) == ["public"]
            assert sa.inspect(conn).get_table_names() == []
    finally:
        engine.dispose()


def test_redis_url_is_an_empty_test_database(
    redis_url: str, redis_database: RedisTestDatabase
) -> None:
    assert redis_url.startswith("redis://127.0.0.1:6379/")
    assert int(redis_url.rsplit("/", 1)[1]) == redis_database.number >= 8
    assert redis_database.command("DBSIZE") == 0
    assert redis_database.command("SET", "cairn:test", "1") == "OK"
    assert redis_database.command("GET", "cairn:test") == b"1"


def test_frozen_clock_stands_still_until_moved(frozen_clock: FrozenClock) -> None:
    start = frozen_clock.now()
    assert start.tzinfo is not None
    assert frozen_clock.now() == start
    frozen_clock.advance(timedelta(hours=2))
    assert frozen_clock.now() == start + timedelta(hours=2)
    frozen_clock.set(datetime(2026, 10, 1, tzinfo=UTC))
    assert frozen_clock.now() == datetime(2026, 10, 1, tzinfo=UTC)
