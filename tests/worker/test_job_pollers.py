"""The job pollers share one loop (``worker.imports.JobPoller``): it runs the work it is given
with the stop signal, survives a failing round, and the find-duplicates poller runs
``services.identity_jobs``."""

from __future__ import annotations

import threading
from typing import Any

from cairn.services import Services
from cairn.worker.imports import DuplicatesPoller, JobPoller
from identitydata import make_people, mobile_rule


def test_the_loop_passes_the_stop_signal_and_survives_a_failure() -> None:
    seen: list[bool] = []
    done = threading.Event()

    def work(stop: Any) -> None:
        seen.append(stop())
        if len(seen) == 1:
            raise RuntimeError("the database is away")
        poller._stop.set()
        done.set()

    poller = JobPoller(work, "test-poller", idle=0)
    poller.start()
    assert done.wait(10)
    poller.stop()
    assert seen == [False, False]


def test_the_duplicates_poller_runs_find_duplicates(services: Services) -> None:
    make_people(services)
    services.identity_rules.create("crm", "people", mobile_rule())
    for name in ("a", "b"):
        services.records.create("crm", "people", {"name": name, "mobile": "13800138000"})
    job = services.identity_jobs.start("crm", "people")
    poller = DuplicatesPoller(services, idle=0)
    finished = threading.Event()
    real = poller.work

    def work(stop: Any) -> None:
        real(stop)
        if services.identity_jobs.get("crm", "people", job["id"])["status"] == "done":
            poller._stop.set()
            finished.set()

    poller.work = work
    poller.start()
    assert finished.wait(30)
    poller.stop()
    assert services.identity_jobs.get("crm", "people", job["id"])["found"] == 1
