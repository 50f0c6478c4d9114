"""The outbox poller: a thread that keeps dispatching while there is work and naps briefly
when there is none (20 ms, doubling to at most 250 ms), so an event is picked up well within a
second of its commit without a busy loop."""

from __future__ import annotations

import logging
import threading

from cairn.worker.dispatch import Dispatcher

log = logging.getLogger(__name__)


class OutboxPoller:
    def __init__(self, dispatcher: Dispatcher, idle_min: float = 0.02, idle_max: float = 0.25):
        self.dispatcher = dispatcher
        self.idle_min = idle_min
        self.idle_max = idle_max
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="outbox-poller", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        idle = self.idle_min
        while not self._stop.is_set():
            try:
                taken = self.dispatcher.run_once()
            except Exception:  # the database may be away for a moment: wait, then go on
                log.exception("outbox dispatch failed; retrying")
                taken = 0
                idle = self.idle_max
            if taken:
                idle = self.idle_min
                continue
            self._stop.wait(idle)
            idle = min(idle * 2, self.idle_max)
