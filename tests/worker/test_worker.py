"""The worker process: drains the outbox soon after commits, runs queued jobs (SQLite file
queue or Redis), and stops cleanly on SIGINT."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cairn.core import FrozenClock
from cairn.services import Services
from cairn.services.uow import unit_of_work
from cairn.store import outbox
from factories import make_crm, make_services


def env_for(db_url: str, data: Path, redis_url: str | None = None) -> dict[str, str]:
    env = {**os.environ, "CAIRN_DATA_DIR": str(data), "CAIRN_DATABASE_URL": db_url}
    env.pop("CAIRN_REDIS_URL", None)
    if redis_url:
        env["CAIRN_REDIS_URL"] = redis_url
    return env


@pytest.fixture
def services(db_url: str, tmp_path: Path) -> Iterator[Services]:
    s = make_services(db_url, tmp_path / "data", FrozenClock())
    make_crm(s)
    yield s
    s.close()


def start_worker(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cairn.worker", "--threads", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    return out


def wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def pending(s: Services) -> int:
    with unit_of_work(s, write=False) as uow:
        return outbox.pending_count(uow.conn)


def test_the_worker_drains_the_outbox_and_stops_on_sigint(
    services: Services, db_url: str, tmp_path: Path
) -> None:
    proc = start_worker(env_for(db_url, tmp_path / "data"))
    try:
        services.records.bulk(
            "crm", "customers", [{"name": f"c{i}"} for i in range(50)], return_items=False
        )
        assert wait_for(lambda: pending(services) == 0), "the worker left events pending"
    finally:
        out = stop(proc)
    assert proc.returncode == 0, out
    assert "Cairn worker running" in out


@pytest.mark.parametrize("queue", ["sqlite", "redis"])
def test_a_queued_job_runs_on_the_worker(
    queue: str, services: Services, db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    redis_url = request.getfixturevalue("redis_url") if queue == "redis" else None
    env = env_for(db_url, tmp_path / "data", redis_url)
    proc = start_worker(env)
    try:
        enqueue = subprocess.run(
            [
                sys.executable,
                "-c",
                "from cairn.worker import queue; "
                "print('purged', queue.purge_outbox().get(blocking=True, timeout=60)); "
                "print('scan', queue.process_scan().get(blocking=True, timeout=60)); "
                "print('notifications', "
                "queue.purge_notifications().get(blocking=True, timeout=60))",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
        )
    finally:
        out = stop(proc)
    assert enqueue.returncode == 0, enqueue.stderr + out
    assert enqueue.stdout.split("\n")[:2] == ["purged 0", "scan {'timers': 0, 'alarms': 0}"]
    assert enqueue.stdout.split("\n")[2].startswith("notifications {")


def test_cairn_worker_is_a_command() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "cairn.cli.main", "worker", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0 and "--no-periodic" in r.stdout


def test_a_worker_started_by_serve_stops_when_serve_is_killed(
    services: Services, db_url: str, tmp_path: Path
) -> None:
    # A stand-in for `cairn serve`: a parent that starts the worker and is then killed outright.
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys, time; "
            "child = subprocess.Popen([sys.executable, '-m', 'cairn.worker', '--threads', '1', "
            "'--parent', str(__import__('os').getpid())]); print(child.pid, flush=True); "
            "time.sleep(600)",
        ],
        env=env_for(db_url, tmp_path / "data"),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    worker_pid = int(parent.stdout.readline())
    time.sleep(2)
    parent.kill()
    parent.wait()

    def gone() -> bool:
        try:
            os.kill(worker_pid, 0)
        except ProcessLookupError:
            return True
        # a zombie (adopted, exited, not yet reaped) counts as gone
        with open(f"/proc/{worker_pid}/stat") as f:
            return f.read().split(") ")[1].startswith("Z")

    assert wait_for(gone, timeout=60), "the worker outlived its server"
