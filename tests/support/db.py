"""Throw-away databases for tests: SQLite, PostgreSQL and a Redis database.

The fixtures in ``tests/conftest.py`` are thin wrappers around this module.

SQLite
    Every test gets a new file ``<tmp_path>/cairn.db`` (pytest's per-test temporary directory).

PostgreSQL: one database per test process, emptied before each test
    Each pytest process (the plain process, or each pytest-xdist worker ``gw0``, ``gw1`` ...)
    creates ONE database ``cairn_test_<random hex>_<worker id>`` through an autocommit psycopg
    connection to ``postgresql://postgres@127.0.0.1:5432/postgres``, and drops it
    ``WITH (FORCE)`` when the session ends. Workers never share a database, and the random
    part keeps concurrent test runs on the same machine apart.

    Before every test that asks for ``db_url`` (postgresql) the database is reset:
    connections left open by an earlier test (an engine that was not disposed) are
    terminated, every non-system schema is dropped with CASCADE (tables, sequences, types,
    functions, extensions, ``alembic_version``) and an empty ``public`` schema is created again,
    with the same owner and grants as in a new database.

    Why this and not ``CREATE DATABASE ... TEMPLATE`` per test: both leave nothing behind
    that lives inside a database, but the reset is faster. Measured on the project machine
    (PostgreSQL 15, 2 cores): the reset takes about 6 ms after a test that created nothing,
    45 ms after 20 indexed tables and 80-145 ms after the full system-table migration (with
    other test runs busy on the machine). Creating a database from a template and dropping
    it took about 70 ms on the idle machine and 0.65-2.7 s on the busy one, because
    CREATE DATABASE checkpoints and syncs to disk.

    Not reset: objects that belong to the whole cluster (roles, tablespaces). A test that
    creates a role must drop it itself.

Redis
    Database 15 of 127.0.0.1:6379, flushed before and after each test. Under pytest-xdist
    worker ``gwN`` uses database ``15 - N`` (``gw0`` and the plain process use 15), because one
    worker's FLUSHDB would otherwise wipe another's keys in the middle of a test; so at most
    8 workers can run Redis tests (databases 8-15 are the tests'; 0-7 are left alone). A file
    lock per database in the temp directory serialises Redis tests of test runs that
    happen at the same time on one machine.

Unreachable servers
    If PostgreSQL or Redis does not answer, the tests that need it are skipped with the
    reason, e.g. ``PostgreSQL not reachable at 127.0.0.1:5432: <error>``. When the environment
    has ``CI=true`` (``.ci/run`` sets it) they fail instead: CI must never go green by skipping.

``CAIRN_TEST_PG_ADMIN_URL`` and ``CAIRN_TEST_REDIS_HOST``/``CAIRN_TEST_REDIS_PORT`` override the
servers (defaults above).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import psycopg
import pytest
import sqlalchemy as sa
from psycopg import sql

ADMIN_URL = os.environ.get(
    "CAIRN_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_HOST = os.environ.get("CAIRN_TEST_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("CAIRN_TEST_REDIS_PORT", "6379"))
TEST_DB_PREFIX = "cairn_test_"
CONNECT_TIMEOUT = 3  # seconds; a missing server must not stall the suite
REDIS_TOP_DB = 15
REDIS_MAX_WORKERS = 8
LOCK_TIMEOUT = 300  # seconds to wait for another test run's Redis test


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def worker_id() -> str:
    """``gw0``, ``gw1`` ... under pytest-xdist, ``master`` otherwise."""
    return os.environ.get("PYTEST_XDIST_WORKER", "master")


def unavailable(message: str) -> NoReturn:
    """Skip the test, or fail it when running in CI."""
    message = " ".join(message.split())  # libpq errors span lines
    if in_ci():
        pytest.fail(f"{message} (CI=true: a missing service is a failure)", pytrace=False)
    pytest.skip(message)


def sqlite_url(path: Path) -> str:
    """A SQLAlchemy URL for the SQLite file at ``path``."""
    return f"sqlite:///{path.resolve()}"


# --- PostgreSQL -----------------------------------------------------------------------------


def _where(url: str) -> str:
    u = sa.make_url(url)
    return f"{u.host or 'localhost'}:{u.port or 5432}"


def _connect(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT)


def _admin_connection(admin_url: str) -> psycopg.Connection:
    try:
        return _connect(admin_url)
    except psycopg.OperationalError as exc:
        unavailable(f"PostgreSQL not reachable at {_where(admin_url)}: {exc}")


class PostgresTestDatabase:
    """One throw-away PostgreSQL database (see the module docstring)."""

    def __init__(self, name: str, admin_url: str = ADMIN_URL) -> None:
        if not name.startswith(TEST_DB_PREFIX):
            raise ValueError(f"refusing to manage a database not named {TEST_DB_PREFIX}*: {name}")
        self.name = name
        self.admin_url = admin_url

    @classmethod
    def create(cls, admin_url: str = ADMIN_URL) -> PostgresTestDatabase:
        name = f"{TEST_DB_PREFIX}{secrets.token_hex(4)}_{worker_id()}".lower()
        with _admin_connection(admin_url) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return cls(name, admin_url)

    @property
    def url(self) -> str:
        """SQLAlchemy URL (psycopg 3 driver), e.g. ``postgresql+psycopg://postgres@.../cairn_test_...``."""
        return self._url("postgresql+psycopg")

    @property
    def dsn(self) -> str:
        """libpq URL for psycopg, e.g. ``postgresql://postgres@127.0.0.1:5432/cairn_test_...``."""
        return self._url("postgresql")

    def _url(self, driver: str) -> str:
        u = sa.make_url(self.admin_url).set(drivername=driver, database=self.name)
        return u.render_as_string(hide_password=False)

    def reset(self) -> None:
        """Empty the database: drop every non-system schema, recreate ``public``."""
        try:
            conn = _connect(self.dsn)
        except psycopg.OperationalError as exc:
            unavailable(f"PostgreSQL not reachable at {_where(self.admin_url)}: {exc}")
        with conn:
            conn.execute("SET lock_timeout = '15s'")
            conn.execute(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            schemas = conn.execute(
                "SELECT nspname FROM pg_namespace"
                " WHERE nspname <> 'information_schema' AND nspname NOT LIKE 'pg\\_%'"
            ).fetchall()
            with conn.transaction():
                for (schema,) in schemas:
                    conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
                conn.execute("CREATE SCHEMA public AUTHORIZATION pg_database_owner")
                conn.execute("GRANT USAGE ON SCHEMA public TO PUBLIC")

    def drop(self) -> None:
        with _connect(self.admin_url) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )

    def __repr__(self) -> str:
        return f"PostgresTestDatabase({self.name!r})"


# --- Redis ----------------------------------------------------------------------------------


class RedisError(Exception):
    """An error reply from Redis."""


def _encode(args: tuple[object, ...]) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def _read_reply(f) -> object:
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise ConnectionError("Redis closed the connection")
    kind, body = line[:1], line[1:-2]
    if kind == b"+":
        return body.decode()
    if kind == b"-":
        raise RedisError(body.decode())
    if kind == b":":
        return int(body)
    if kind == b"$":
        size = int(body)
        return None if size < 0 else f.read(size + 2)[:-2]
    if kind == b"*":
        size = int(body)
        return None if size < 0 else [_read_reply(f) for _ in range(size)]
    raise RedisError(f"unexpected reply {line!r}")


def redis_command(
    *args: object, db: int | None = None, host: str = REDIS_HOST, port: int = REDIS_PORT
) -> object:
    """Run one command (after ``SELECT db``) on a new connection and return its reply.

    A tiny RESP client, so the test machinery needs no Redis library.
    """
    commands = ([("SELECT", db)] if db is not None else []) + [args]
    with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT) as sock:
        sock.sendall(b"".join(_encode(c) for c in commands))
        with sock.makefile("rb") as f:
            replies = [_read_reply(f) for _ in commands]
    return replies[-1]


def redis_db_for_worker(worker: str | None = None) -> int:
    worker = worker or worker_id()
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    if index >= REDIS_MAX_WORKERS:
        pytest.fail(
            f"xdist worker {worker}: Redis tests support at most {REDIS_MAX_WORKERS} workers"
            f" (databases {REDIS_TOP_DB - REDIS_MAX_WORKERS + 1}-{REDIS_TOP_DB})",
            pytrace=False,
        )
    return REDIS_TOP_DB - index


class RedisTestDatabase:
    """The Redis database this test process may flush (see the module docstring)."""

    def __init__(self, number: int, host: str = REDIS_HOST, port: int = REDIS_PORT) -> None:
        self.number, self.host, self.port = number, host, port

    @classmethod
    def for_worker(cls) -> RedisTestDatabase:
        db = cls(redis_db_for_worker())
        try:
            reply = db.command("PING")
        except (OSError, RedisError) as exc:
            unavailable(f"Redis not reachable at {db.host}:{db.port}: {exc}")
        if reply != "PONG":
            unavailable(f"Redis at {db.host}:{db.port} answered PING with {reply!r}")
        return db

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/{self.number}"

    def command(self, *args: object) -> object:
        return redis_command(*args, db=self.number, host=self.host, port=self.port)

    def flush(self) -> None:
        self.command("FLUSHDB")

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold this database against other test runs on the same machine."""
        path = Path(tempfile.gettempdir()) / f"cairn-test-redis-{self.port}-{self.number}.lock"
        with path.open("a") as f:
            deadline = time.monotonic() + LOCK_TIMEOUT
            while True:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        pytest.fail(f"Redis database {self.number} stayed locked by {path}")
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)


#: Runs a test that uses ``db_url`` on PostgreSQL only, for behaviour SQLite does not have
#: (pooled connections to check, LATERAL, reads without a transaction): no SQLite run at all,
#: rather than one that is skipped.
postgresql_only = pytest.mark.parametrize(
    "db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
