"""``python -m cairn.worker`` (what ``cairn worker`` and ``cairn serve`` run): the outbox
poller, the import poller and the find-duplicates poller on threads and the Huey consumer on
the main thread, until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
import time

from cairn.services.testclock import StoredTestClock
from cairn.worker import queue
from cairn.worker.clockwatch import ClockWatcher
from cairn.worker.dispatch import Dispatcher
from cairn.worker.imports import DuplicatesPoller, ImportPoller
from cairn.worker.poller import OutboxPoller


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="cairn worker")
    parser.add_argument("--threads", type=int, default=2, help="job threads")
    parser.add_argument(
        "--no-periodic", action="store_true", help="leave periodic jobs to another worker"
    )
    parser.add_argument(
        "--parent", type=int, default=None, help="stop when this process (cairn serve) is gone"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    services = queue.services()
    poller = OutboxPoller(Dispatcher(services, services.event_handlers))
    consumer = queue.huey.create_consumer(
        workers=args.threads,
        worker_type="thread",
        periodic=not args.no_periodic,
        initial_delay=0.05,
        max_delay=0.5,
    )
    imports = ImportPoller(services)
    duplicates = DuplicatesPoller(services)
    poller.start()
    imports.start()
    duplicates.start()
    if not args.no_periodic:
        try:  # timers and deadlines that came due while no worker ran fire now
            services.processes.tick()
        except Exception:  # the database may not be there yet: the periodic scan retries
            logging.getLogger("cairn.worker").exception("process scan at start failed")
    watcher = None
    if not args.no_periodic and isinstance(services.clock, StoredTestClock):
        watcher = ClockWatcher(services.clock)  # a moved test clock: catch up at once
        watcher.start()
    if args.parent:
        watch_parent(args.parent)
    logging.getLogger("cairn.worker").info(
        "Cairn worker running (%d job threads, periodic jobs: %s)",
        args.threads,
        not args.no_periodic,
    )
    try:
        consumer.run()  # until SIGINT/SIGTERM; running jobs finish first
    finally:
        if watcher is not None:
            watcher.stop()
        duplicates.stop()
        imports.stop()
        poller.stop()
        services.close()


def watch_parent(parent: int, every: float = 1.0) -> None:
    """A worker started by ``cairn serve`` stops with it, even when the server was killed
    outright (it is then adopted by another process: its parent id changes)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        logging.getLogger("cairn.worker").info("cairn serve (pid %d) is gone: stopping", parent)
        os.kill(os.getpid(), signal.SIGINT)  # the consumer's graceful stop

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


if __name__ == "__main__":
    main()
