"""The job pollers: a thread each that runs queued background jobs and takes over those a
dead worker left running, checking once a second when there is none. Any number of workers
may run them: a job is claimed by one (a conditional update).

``JobPoller`` is the loop; ``ImportPoller`` runs record imports (``services.import_runs``)
and once an hour sweeps the files of ended imports and stale uploads
(``services.import_files``), ``DuplicatesPoller`` the "find duplicates" runs of One-ID
(``services.identity_jobs``) and the merges of auto-merge rules' pairs."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from cairn.services import Services
from cairn.services.identity_merges import merge_pending_auto

log = logging.getLogger(__name__)

#: Seconds between two sweeps of import files.
SWEEP_SECONDS = 3600.0


class JobPoller:
    """Calls ``work(stop=...)`` (run what is waiting, asking ``stop`` between steps) until
    stopped, napping ``idle`` seconds between rounds; a failing round is logged and retried."""

    def __init__(self, work: Callable[..., Any], name: str, idle: float = 1.0) -> None:
        self.work = work
        self.name = name
        self.idle = idle
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.work(stop=self._stop.is_set)
            except Exception:  # the database may be away for a moment: wait, then go on
                log.exception("%s failed; retrying", self.name)
            self._stop.wait(self.idle)


class ImportPoller(JobPoller):
    def __init__(self, services: Services, idle: float = 1.0) -> None:
        self.services = services
        self._next_sweep = 0.0
        super().__init__(self._round, "import-poller", idle)

    def _round(self, stop: Callable[[], bool]) -> None:
        self.sweep_when_due()
        self.services.import_runs.work(stop=stop)

    def sweep_when_due(self, now: float | None = None) -> bool:
        """Sweep the import files when an hour has passed since the last sweep (the
        expiry itself is decided by the services' clock); whether it swept."""
        at = time.monotonic() if now is None else now
        if at < self._next_sweep:
            return False
        self._next_sweep = at + SWEEP_SECONDS
        self.services.import_files.sweep()
        return True


class DuplicatesPoller(JobPoller):
    """Runs the find-duplicates jobs, then merges the pairs auto-merge rules filed."""

    def __init__(self, services: Services, idle: float = 1.0) -> None:
        self.services = services
        super().__init__(self._round, "duplicates-poller", idle)

    def _round(self, stop: Callable[[], bool]) -> None:
        self.services.identity_jobs.work(stop=stop)
        while not stop() and merge_pending_auto(self.services):
            pass
