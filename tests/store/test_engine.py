"""Connections from the pool: a dead one is replaced before anyone uses it, and the schema
version read while checking it is the one a unit of work goes on (PostgreSQL)."""

from __future__ import annotations

import sqlalchemy as sa

from cairn.services import Services
from cairn.services.uow import unit_of_work
from cairn.store.catalog import CHECKED_VERSION, bump_schema_version
from support.db import postgresql_only


def count_version_reads(s: Services) -> list[str]:
    seen: list[str] = []

    @sa.event.listens_for(s.engine, "before_cursor_execute")
    def _seen(_c: object, _cur: object, statement: str, *_a: object) -> None:
        if "schema_state" in statement:
            seen.append(statement)

    return seen


@postgresql_only  # SQLite connections are files in this process: nothing to check
def test_a_connection_killed_in_the_pool_is_replaced(services: Services) -> None:
    with services.engine.connect() as conn:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    admin = sa.create_engine(services.engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:  # the server ends the pooled connection's session
        conn.exec_driver_sql("SELECT pg_terminate_backend(%(pid)s)", {"pid": pid})
    admin.dispose()
    page = services.records.query("crm", "customers")  # a new connection, no error
    assert page["items"] == []
    with services.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one() != pid


@postgresql_only
def test_a_unit_of_work_reads_the_version_once_at_checkout(services: Services) -> None:
    services.records.query("crm", "customers")
    seen = count_version_reads(services)
    with unit_of_work(services, write=False) as uow:
        uow.catalog.table("crm", "customers")
    assert seen == []  # read by the checkout's check, outside Core's statement events
    with services.engine.connect() as conn:
        assert CHECKED_VERSION in conn.connection.info


def test_a_schema_change_by_another_process_is_seen_at_the_next_unit_of_work(
    services: Services,
) -> None:
    with unit_of_work(services, write=False) as uow:
        before = uow.catalog.version
    other = sa.create_engine(services.engine.url)  # another process's engine, no checkout check
    with other.begin() as conn:
        bump_schema_version(conn)
    other.dispose()
    with unit_of_work(services, write=False) as uow:
        assert uow.catalog.version == before + 1


def test_a_schema_change_in_a_unit_of_work_is_read_back_in_it(services: Services) -> None:
    with unit_of_work(services) as uow:
        before = uow.services.catalogs.get(uow.conn).version
    with unit_of_work(services) as uow:
        uow.schema_changed()  # before the catalogue was first asked for
        assert uow.catalog.version == before + 1
