"""The job pollers: a thread each that runs queued background jobs and takes over those a
dead worker left running, checking once a second when there is none. Any number of workers
may run them: a job is claimed by one (a conditional update).

``JobPoller`` is the loop; ``ImportPoller`` runs record imports (``services.import_runs``),
``DuplicatesPoller`` the "find duplicates" runs of One-ID (``services.identity_jobs``)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from cairn.services import Services

log = logging.getLogger(__name__)


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
        super().__init__(lambda stop: services.import_runs.work(stop=stop), "import-poller", idle)


class DuplicatesPoller(JobPoller):
    def __init__(self, services: Services, idle: float = 1.0) -> None:
        self.services = services
        super().__init__(
            lambda stop: services.identity_jobs.work(stop=stop), "duplicates-poller", idle
        )
