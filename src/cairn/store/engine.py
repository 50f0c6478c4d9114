"""Engines and connections: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from cairn.formula.sqlite import install as install_formula_functions
from cairn.store.catalog import CHECKED_VERSION, VERSION_SQL
from cairn.store.data_versions import CHECKED_TOTAL, TOTAL_SQL

MIGRATIONS = Path(__file__).parent / "migrations"


def create_engine(url: str, **kwargs: Any) -> sa.Engine:
    """An engine for ``url``. SQLite files get WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        db_path = sa.make_url(url).database
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            **kwargs,
        )

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy control transactions: BEGIN is emitted below, on "begin".
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
            install_formula_functions(dbapi_conn)

        @sa.event.listens_for(engine, "begin")
        def _begin(conn: sa.Connection) -> None:
            # IMMEDIATE takes the write lock up front, so two writers queue instead of failing
            # with "database is locked" half way through a transaction.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("write", True) else "BEGIN")

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    engine = sa.create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _check_on_checkout(engine)
    # Batch executemany INSERTs into multi-row VALUES on PostgreSQL too (psycopg otherwise
    # sends one statement per row): records, history and outbox rows of a bulk write.
    engine.dialect.use_insertmanyvalues_wo_returning = True
    return engine


def _check_on_checkout(engine: sa.Engine) -> None:
    """Pessimistic disconnect handling, as ``pool_pre_ping`` does, with one difference: the
    statement that proves a pooled connection alive reads the schema version, which every unit
    of work needs next (``catalog.schema_version``). One round trip per unit of work instead of
    two. The same statement returns the sum of the data versions, so a dashboard over
    unchanged data reads none (``store.data_versions``). A dead connection is replaced
    (``DisconnectionError``: the pool retries with a fresh one); before the migrations have
    run there is no version to read, and that is no error."""
    checkout_sql = f"SELECT ({VERSION_SQL}), ({TOTAL_SQL})"

    @sa.event.listens_for(engine, "checkout")
    def _check(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        record.info.pop(CHECKED_VERSION, None)
        record.info.pop(CHECKED_TOTAL, None)
        autocommit = dbapi_conn.autocommit
        try:
            dbapi_conn.autocommit = True  # no transaction left open, none left failed
            cur = dbapi_conn.cursor()
            try:
                cur.execute(checkout_sql)
                row = cur.fetchone()
            finally:
                cur.close()
            dbapi_conn.autocommit = autocommit
        except engine.dialect.loaded_dbapi.Error as e:
            if dbapi_conn.closed or engine.dialect.is_disconnect(e, dbapi_conn, None):
                raise sa.exc.DisconnectionError(str(e)) from e
            dbapi_conn.autocommit = autocommit
            return  # no schema_state yet: the unit of work reads it itself
        if row is not None and row[0] is not None:
            record.info[CHECKED_VERSION] = row[0]
            record.info[CHECKED_TOTAL] = row[1]

    @sa.event.listens_for(engine, "checkin")
    def _forget(_dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            record.info.pop(CHECKED_VERSION, None)
            record.info.pop(CHECKED_TOTAL, None)


def alembic_config(connection: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def migrate(engine: sa.Engine, revision: str = "head") -> None:
    """Bring the system tables to ``revision`` (Alembic)."""
    with engine.connect() as conn:
        command.upgrade(alembic_config(conn), revision)
        conn.commit()


def current_revision(engine: sa.Engine) -> str | None:
    # deferred: only the CLI's migrate and status read the revision
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
