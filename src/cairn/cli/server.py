"""``cairn migrate``, ``cairn serve`` and ``cairn worker``: the database, the API server and
the background worker process."""

from __future__ import annotations

import ipaddress
import os
import signal
import subprocess
import sys
from pathlib import Path

import typer
import uvicorn

from cairn.cli.common import DataOpt, DbOpt, console, err, settings
from cairn.services import build_services
from cairn.services.testclock import check_bind
from cairn.store import create_engine, current_revision, workdays
from cairn.store import migrate as run_migrations


def migrate(data: Path | None = DataOpt, database: str | None = DbOpt) -> None:
    """Bring the system tables up to date (Alembic) and fill the working calendar's days."""
    s = settings(data, database)
    engine = create_engine(s.db_url)
    run_migrations(engine)
    workdays.prepare(engine)
    console.print(f"Database at revision {current_revision(engine)}")
    engine.dispose()


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int = typer.Option(8000, help="Port"),
    data: Path | None = DataOpt,
    database: str | None = DbOpt,
    workers: int = typer.Option(1, help="API processes"),
    no_worker: bool = typer.Option(
        False, "--no-worker", help="Do not start a background worker beside the API"
    ),
) -> None:
    """Serve the API (and the web UI once built) on http://HOST:PORT, with a background worker
    (a child process) unless --no-worker."""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    s = settings(data, database)

    refusal = check_bind(s, host, loopback)
    if refusal is not None:
        err.print(f"[red]error:[/red] {refusal}.")
        raise typer.Exit(2)
    if not loopback:
        err.print(
            f"[red]error:[/red] refusing to serve on {host}: without TLS in front, sign-in cookies "
            "would travel in clear, so Cairn listens on 127.0.0.1 only."
        )
        raise typer.Exit(2)
    if data is not None:
        os.environ["CAIRN_DATA_DIR"] = str(data)
    if database is not None:
        os.environ["CAIRN_DATABASE_URL"] = database

    build_services(s, prepare_calendar=True).close()  # migrate once before the workers start
    console.print(
        f"Cairn is serving on [bold]http://{host}:{port}[/bold]  (web UI: /, API docs: /docs)"
    )
    if s.test_clock:
        console.print(
            "[yellow]Test clock on[/yellow] (CAIRN_TEST_CLOCK): administrators may move this "
            "instance's time forward (/api/v1/test-clock, cairn clock advance)."
        )
    child = None if no_worker else start_worker_process()
    try:
        uvicorn.run(
            "cairn.api.asgi:app",
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            factory=False,
        )
    finally:
        if child is not None:
            stop_worker_process(child)


def start_worker_process() -> subprocess.Popen[bytes]:
    """The worker as a child process (Huey's consumer wants a main thread of its own); it
    reads the same CAIRN_* environment."""
    args = [sys.executable, "-m", "cairn.worker", "--parent", str(os.getpid())]
    return subprocess.Popen(args)  # noqa: S603 - our own interpreter and module


def stop_worker_process(child: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    if child.poll() is None:
        child.send_signal(signal.SIGINT)  # graceful: running jobs finish
        try:
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def worker(
    data: Path | None = DataOpt,
    database: str | None = DbOpt,
    threads: int = typer.Option(2, help="Job threads"),
    periodic: bool = typer.Option(
        True, "--periodic/--no-periodic", help="Run periodic jobs (exactly one worker should)"
    ),
) -> None:
    """Run the background worker: record events to the engines, and the job queue. Stop it
    with Ctrl-C (or SIGTERM): running jobs finish first."""
    if data is not None:
        os.environ["CAIRN_DATA_DIR"] = str(data)
    if database is not None:
        os.environ["CAIRN_DATABASE_URL"] = database
    args = [sys.executable, "-m", "cairn.worker", "--threads", str(threads)]
    if not periodic:
        args.append("--no-periodic")
    os.execv(sys.executable, args)  # noqa: S606 - the worker replaces this process
