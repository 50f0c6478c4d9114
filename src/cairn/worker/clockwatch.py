"""The worker's eye on the test clock: when an administrator moves it forward (API or CLI, in
any process), the periodic jobs whose schedule fell in the skipped span run at once, each once
(``queue.catch_up``), instead of waiting for their next real-time turn. That is the catch-up a
worker runs after real downtime: date rules due meanwhile fire once, marked late; deadlines
escalate; alerts are checked; the nightly purge runs if a night went by."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from cairn.services.testclock import StoredTestClock
from cairn.worker import queue

log = logging.getLogger("cairn.worker")


class ClockWatcher:
    def __init__(
        self,
        clock: StoredTestClock,
        run: Callable[[Any], Any] | None = None,
        every: float = 1.0,
    ) -> None:
        self.clock = clock
        self.run = run
        self.every = every
        self._seen: tuple[int, datetime] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> list[str]:
        """Look once: after a move since the last look, run the catch-up; its jobs' names."""
        state = self.clock.refresh()
        now = self.clock.base.now() + state.offset
        seen, self._seen = self._seen, (state.version, now)
        if seen is None or seen[0] == state.version:
            return []
        names = queue.catch_up(seen[1], now, self.run)
        log.info("test clock moved %s -> %s: caught up %s", seen[1], now, ", ".join(names))
        return names

    def start(self) -> None:
        self.check()
        self._thread = threading.Thread(target=self._loop, name="clock-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.check()
            except Exception:  # the database may be away for a moment: look again later
                log.exception("test clock check failed")
