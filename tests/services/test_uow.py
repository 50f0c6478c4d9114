"""The unit of work: a body that reads still writes its audit entries whole while other
readers do the same (SQLite cannot turn a read transaction into a write one), and one that
only reads (no transaction on PostgreSQL) may not change the schema."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from cairn.auth import Entry, audit
from cairn.services import Services
from cairn.services.uow import unit_of_work
from cairn.store import system
from support.db import postgresql_only


def audit_actions(s: Services) -> list[str]:
    with s.engine.connect() as conn:
        log = system.audit_log
        return list(conn.execute(sa.select(log.c.action).order_by(log.c.id)).scalars())


def test_a_reading_unit_of_work_writes_its_audit_entries_in_one_chain(
    services: Services,
) -> None:
    """Eight threads read and audit at once: the hash chain still holds, no entry is lost."""
    before = len(audit_actions(services))

    def read_and_audit(i: int) -> None:
        for j in range(5):
            with unit_of_work(services, write=False, reads_only=j % 2 == 0) as uow:
                uow.catalog.table("crm", "customers")
                uow.audit(Entry("record.export", "table", i), Entry("record.export", "row", j))

    threads = [threading.Thread(target=read_and_audit, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(audit_actions(services)) == before + 8 * 5 * 2
    with services.engine.connect() as conn:
        assert audit.verify(conn).ok


def test_a_failing_reading_unit_of_work_writes_nothing(services: Services) -> None:
    before = audit_actions(services)
    with (
        pytest.raises(ZeroDivisionError),
        unit_of_work(services, write=False, reads_only=True) as uow,
    ):
        uow.audit(Entry("record.export", "table", 1))
        _ = 1 / 0
    assert audit_actions(services) == before


@postgresql_only  # on SQLite a reading unit of work is an ordinary transaction
def test_a_reading_unit_of_work_may_not_change_the_schema(services: Services) -> None:
    version = schema_version(services)
    with (
        pytest.raises(RuntimeError, match="only reads"),
        unit_of_work(services, write=False, reads_only=True) as uow,
    ):
        uow.schema_changed()
    assert schema_version(services) == version  # nothing written before the refusal


def schema_version(s: Services) -> int:
    with s.engine.connect() as conn:
        return int(conn.execute(sa.select(system.schema_state.c.version)).scalar_one())
