"""``cairn serve`` runs the API and, beside it, a worker that drains the outbox."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pending(db: Path) -> int:
    engine = sa.create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as c:
            return c.exec_driver_sql(
                "SELECT count(*) FROM outbox WHERE processed_at IS NULL"
            ).scalar_one()
    finally:
        engine.dispose()


def test_serve_starts_a_worker_and_stops_it(tmp_path: Path) -> None:
    port, data = free_port(), tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
    cli = [sys.executable, "-m", "cairn.cli.main"]
    password = "Serve-test-2026"
    subprocess.run(
        [*cli, "init", "--data", str(data), "--admin-password", password],
        env=env,
        check=True,
        capture_output=True,
    )
    token = (
        subprocess.run(
            [*cli, "token", "create", "--user", "admin", "--data", str(data)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    auth = {"authorization": f"Bearer {token}"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cairn.cli.main", "serve", "--port", str(port), "--data", str(data)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not come up"
            time.sleep(0.2)
        r = httpx.post(f"{base}/apps", json={"key": "crm", "name": "客户"}, headers=auth)
        assert r.status_code == 201, r.text
        fields = [{"key": "name", "name": "名称", "type": "text"}]
        r = httpx.post(
            f"{base}/apps/crm/tables",
            json={"key": "customers", "name": "客户", "fields": fields},
            headers=auth,
        )
        assert r.status_code == 201, r.text
        r = httpx.post(
            f"{base}/apps/crm/tables/customers/records", json={"name": "A"}, headers=auth
        )
        assert r.status_code == 201, r.text
        assert pending(data / "cairn.db") <= 1
        deadline = time.monotonic() + 60
        while pending(data / "cairn.db") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert pending(data / "cairn.db") == 0, "no worker drained the outbox"
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    assert "Cairn worker running" in out
    assert "Consumer exiting" in out  # the worker was stopped with the server


def test_demo_serves_with_a_worker(tmp_path: Path, monkeypatch) -> None:
    """``cairn demo`` hands over to ``serve`` with the worker on (rules and processes run)."""
    from typer.testing import CliRunner

    from cairn.cli import main

    seen: dict = {}
    monkeypatch.setattr(main, "serve", lambda **kw: seen.update(kw))
    for k in [k for k in os.environ if k.startswith("CAIRN_")]:
        monkeypatch.delenv(k)
    r = CliRunner().invoke(main.app, ["demo", "--data", str(tmp_path / "data"), "--customers", "5"])
    assert r.exit_code == 0, r.output
    assert seen["no_worker"] is False and seen["port"] == 8000


def test_demo_without_serving_says_how_to_serve(tmp_path: Path, monkeypatch) -> None:
    """``cairn demo --no-serve`` loads and stops: it tells how to serve the data, not to open an
    address nothing listens on; the login is printed all the same."""
    from typer.testing import CliRunner

    from cairn.cli import main

    monkeypatch.setattr(main, "serve", lambda **kw: pytest.fail("--no-serve served"))
    for k in [k for k in os.environ if k.startswith("CAIRN_")]:
        monkeypatch.delenv(k)
    data = tmp_path / "data"
    r = CliRunner().invoke(
        main.app, ["demo", "--data", str(data), "--customers", "5", "--no-serve"]
    )
    assert r.exit_code == 0, r.output
    assert "http://" not in r.output
    assert "cairn serve --data" in r.output
    assert "user name: admin" in r.output and "password:" in r.output
