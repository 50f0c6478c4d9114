"""Running import jobs (``cairn.imports``) on the worker, batch by batch.

A batch is one unit of work as the user who started the import: the rows are built
(``imports.rows``), matched by the key (upsert, update only), written through the service
bulk path (``RecordWrites.bulk_in``: the same permissions, checks, history, events and audit
as the bulk API) and the job moves to its new offset, all in one transaction. A row the bulk
write refuses is taken out (the batch is tried again without it, under a savepoint) and
goes to the error file with its reason. A dry run does the same and rolls the batch back,
so its report holds what the real run would do, uniqueness and references included.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Entry, Principal
from cairn.auth.principal import cli
from cairn.core import Forbidden
from cairn.core.collector import fewer_collections
from cairn.imports import jobs
from cairn.imports.failure import describe
from cairn.imports.runner import CANCELLED, run_rows
from cairn.imports.sources import open_source
from cairn.services.import_batches import Batches
from cairn.services.uow import unit_of_work
from cairn.store import imports as store
from cairn.store import users as store_users

if TYPE_CHECKING:
    from cairn.services.context import Services

log = logging.getLogger(__name__)

__all__ = ["ImportRuns", "describe", "principal_of", "worker_name"]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def principal_of(actor: dict[str, Any], services: Services) -> Principal:
    """Who a job writes as: the user who started it (their rights as they are now)."""
    uid, channel = actor.get("user_id"), actor.get("channel")
    if channel in ("cli", "system") or uid is None:
        return cli(uid) if channel == "cli" else SYSTEM
    with unit_of_work(services, write=False) as uow:
        row = store_users.account(uow.conn, uid)
    if row is None or row.status != "active":
        raise Forbidden("import.owner_gone")
    return Principal(row.id, row.username, bool(row.is_admin), "import")


class ImportRuns:
    def __init__(self, services: Services) -> None:
        self.s = services

    def work(self, worker: str | None = None, stop: Callable[[], bool] | None = None) -> int:
        """Run the waiting jobs (and those a dead worker left) one after another; how many.
        ``stop`` (a worker shutting down) is asked before each batch: a job stopped so goes
        back to the queue at its last committed batch."""
        n = 0
        while not (stop and stop()) and (job_id := self.claim(worker or worker_name())):
            self.run(job_id, stop)
            n += 1
        return n

    def run_now(self, job_id: int, progress: Callable[[int], Any] | None = None) -> str:
        """Run a queued job here and now (the command line), not on a worker; its status.
        ``progress`` is told the rows done after each batch."""
        with unit_of_work(self.s) as uow:
            row = store.job(uow.conn, job_id)
            if row is None or row.status != "queued":
                return row.status if row is not None else "missing"
            store.update_job(
                uow.conn, job_id, status="running", claimed_by=worker_name(), heartbeat_at=uow.now
            )
        return self.run(job_id, progress=progress)

    def claim(self, worker: str) -> int | None:
        with unit_of_work(self.s) as uow:
            stale = uow.now - timedelta(seconds=self.s.settings.import_stale_seconds)
            return store.claim(uow.conn, worker, uow.now, stale)

    def run(
        self,
        job_id: int,
        stop: Callable[[], bool] | None = None,
        progress: Callable[[int], Any] | None = None,
    ) -> str:
        """Run a claimed job to its end (or its cancellation); its final status."""
        with unit_of_work(self.s) as uow:
            row = store.job(uow.conn, job_id)
            if row is None:
                return "missing"
            store.update_job(
                uow.conn,
                job_id,
                started_at=row.started_at or uow.now,
                started_offset=row.offset,
                heartbeat_at=uow.now,
            )
        try:
            batch = Batches(self.s, row, principal_of(row.settings["actor"], self.s), stop)
            batch.progress = progress
            src = row.source
            source = open_source(
                Path(row.file_path),
                src["kind"],
                sheet=src.get("sheet"),
                header_rows=src.get("header_rows"),
            )
            with fewer_collections():
                outcome = run_rows(source, row.offset, self.s.settings.import_batch_rows, batch)
        except Exception as e:  # the job records why it stopped; the worker goes on
            log.exception("import %s failed", job_id)
            language = row.settings.get("language") or self.s.settings.language
            self._finish(job_id, "failed", describe(e, language))
            return "failed"
        if batch.stopped:
            with unit_of_work(self.s) as uow:
                store.update_job(uow.conn, job_id, status="queued", claimed_by=None)
            return "queued"
        status = "cancelled" if outcome == CANCELLED else "done"
        self._finish(job_id, status, None)
        return status

    def _finish(self, job_id: int, status: str, error: str | None) -> None:
        with unit_of_work(self.s) as uow:
            row = store.job(uow.conn, job_id)
            if row is None:
                return
            status = jobs.final_status(row, status)
            store.update_job(
                uow.conn,
                job_id,
                status=status,
                error=error,
                finished_at=uow.now,
                claimed_by=None,
            )
            if row.phase == "run":
                details = jobs.end_details(row, status)
                uow.audit(
                    Entry("record.import", "table", row.table_id, row.app_id, row.table_id, details)
                )
