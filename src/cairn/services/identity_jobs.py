"""The "find duplicates" jobs: queued from the API, run on the worker (``JobPoller``).

The run itself (filing and matching batch by batch, resuming, cancelling) is One-ID's
(``identity.find_run``); here each of its steps is one transaction, a worker's stop puts the
job back in the queue, and a failure is written on the job."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Entry, Principal
from cairn.auth.guard import guard
from cairn.core import NotFound
from cairn.identity import find_run
from cairn.services.import_runs import describe, worker_name
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import TableSchema
from cairn.store import identity_jobs as job_rows

if TYPE_CHECKING:
    from cairn.services.context import Services

log = logging.getLogger(__name__)

#: Statuses in which a job still runs (or waits to).
ACTIVE = ("queued", "running")


def job_public(row: Any) -> dict[str, Any]:
    def iso(v: Any) -> str | None:
        return v.isoformat() if v is not None else None

    return {
        "id": row.id,
        "status": row.status,
        "total": row.total,
        "done": row.done,
        "found": row.found,
        "error": row.error,
        "created_at": iso(row.created_at),
        "finished_at": iso(row.finished_at),
    }


def queue_job(uow: UnitOfWork, s: TableSchema) -> int:
    """A queued find-duplicates job for ``s`` (the one already waiting, if any)."""
    for row in job_rows.jobs(uow.conn, s.id, limit=5):
        if row.status == "queued":
            return int(row.id)
    return job_rows.create_job(
        uow.conn, table_id=s.id, status="queued", created_by=uow.actor_id, created_at=uow.now
    )


class IdentityJobs:
    def __init__(self, services: Services) -> None:
        self.s = services

    # -- the API's side ---------------------------------------------------------------------
    def start(self, app: str, table: str, principal: Principal = SYSTEM) -> dict[str, Any]:
        """Queue a run over the table (the one queued or running already, if there is one)."""
        with unit_of_work(self.s, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            guard(uow).require(s, "update")
            for row in job_rows.jobs(uow.conn, s.id, limit=5):
                if row.status in ACTIVE:
                    return job_public(row)
            job_id = queue_job(uow, s)
            uow.audit(Entry("duplicate.find", "table", s.id, s.app.id, s.id, {"job_id": job_id}))
            return job_public(job_rows.job(uow.conn, job_id))

    def get(
        self, app: str, table: str, job_id: int, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            guard(uow).require(s, "read")
            return job_public(self._job(uow, s, job_id))

    def list(self, app: str, table: str, principal: Principal = SYSTEM) -> list[dict[str, Any]]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            guard(uow).require(s, "read")
            return [job_public(r) for r in job_rows.jobs(uow.conn, s.id)]

    def cancel(
        self, app: str, table: str, job_id: int, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        """A queued job stops at once, a running one before its next batch."""
        with unit_of_work(self.s, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            guard(uow).require(s, "update")
            row = self._job(uow, s, job_id)
            if row.status in ACTIVE:
                values: dict[str, Any] = {"cancel_requested": True}
                if row.status == "queued":
                    values.update(status="cancelled", finished_at=uow.now)
                job_rows.update_job(uow.conn, job_id, **values)
                details = {"job_id": job_id}
                uow.audit(Entry("duplicate.find_cancel", "table", s.id, s.app.id, s.id, details))
            return job_public(job_rows.job(uow.conn, job_id))

    @staticmethod
    def _job(uow: UnitOfWork, s: TableSchema, job_id: int) -> Any:
        row = job_rows.job(uow.conn, job_id)
        if row is None or row.table_id != s.id:
            raise NotFound("identity.job_not_found", id=job_id)
        return row

    # -- the worker's side ------------------------------------------------------------------
    def work(self, worker: str | None = None, stop: Callable[[], bool] | None = None) -> int:
        """Run the waiting jobs (and those a dead worker left) one after another; how many."""
        n = 0
        while not (stop and stop()) and (job_id := self.claim(worker or worker_name())):
            self.run(job_id, stop)
            n += 1
        return n

    def claim(self, worker: str) -> int | None:
        with unit_of_work(self.s) as uow:
            stale = uow.now - timedelta(seconds=self.s.settings.import_stale_seconds)
            return job_rows.claim_job(uow.conn, worker, uow.now, stale)

    def run(self, job_id: int, stop: Callable[[], bool] | None = None) -> str:
        """Run a claimed job to its end, its cancellation or the worker's stop; the status."""
        try:
            after = self._begin(job_id)
            if after is None:
                return "missing"
            while True:
                if stop is not None and stop():
                    with unit_of_work(self.s) as uow:
                        job_rows.update_job(uow.conn, job_id, status="queued", claimed_by=None)
                    return "queued"
                status, after = self._batch(job_id, after)
                if status != find_run.RUNNING:
                    return status
        except Exception as e:  # the job says why it stopped; the worker goes on
            log.exception("find duplicates %s failed", job_id)
            with unit_of_work(self.s) as uow:
                error = describe(e, self.s.settings.language)
                job_rows.update_job(
                    uow.conn,
                    job_id,
                    status="failed",
                    error=error,
                    finished_at=uow.now,
                    claimed_by=None,
                )
            return "failed"

    def _begin(self, job_id: int) -> int | None:
        with unit_of_work(self.s) as uow:
            return find_run.begin(uow, job_id)

    def _batch(self, job_id: int, after: int) -> tuple[str, int]:
        with unit_of_work(self.s) as uow:
            return find_run.step(uow, job_id, after)
