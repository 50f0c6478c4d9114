"""The import poller: a thread that runs queued record imports (``services.import_runs``)
and takes over those a dead worker left running, checking once a second when there is none.
Any number of workers may run it: a job is claimed by one (a conditional update)."""

from __future__ import annotations

import logging
import threading

from cairn.services import Services

log = logging.getLogger(__name__)


class ImportPoller:
    def __init__(self, services: Services, idle: float = 1.0) -> None:
        self.services = services
        self.idle = idle
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="import-poller", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.services.import_runs.work(stop=self._stop.is_set)
            except Exception:  # the database may be away for a moment: wait, then go on
                log.exception("import run failed; retrying")
            self._stop.wait(self.idle)
