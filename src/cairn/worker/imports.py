"""The import poller: a thread that runs queued record imports (``services.import_runs``)
and takes over those a dead worker left running, checking once a second when there is none.
Any number of workers may run it: a job is claimed by one (a conditional update). Once an
hour it sweeps the files of ended imports and stale uploads (``services.import_files``)."""

from __future__ import annotations

import logging
import threading
import time

from cairn.services import Services

log = logging.getLogger(__name__)

#: Seconds between two sweeps of import files.
SWEEP_SECONDS = 3600.0


class ImportPoller:
    def __init__(self, services: Services, idle: float = 1.0) -> None:
        self.services = services
        self.idle = idle
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_sweep = 0.0

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
                self.sweep_when_due()
                self.services.import_runs.work(stop=self._stop.is_set)
            except Exception:  # the database may be away for a moment: wait, then go on
                log.exception("import run failed; retrying")
            self._stop.wait(self.idle)

    def sweep_when_due(self, now: float | None = None) -> bool:
        """Sweep the import files when an hour has passed since the last sweep (the
        expiry itself is decided by the services' clock); whether it swept."""
        at = time.monotonic() if now is None else now
        if at < self._next_sweep:
            return False
        self._next_sweep = at + SWEEP_SECONDS
        self.services.import_files.sweep()
        return True
