"""Start-up: how long ``import cairn.api.app`` takes, and how long ``cairn serve`` takes until
it answers ``GET /api/v1/health``.

The import time is Python's own account (``python -X importtime``): the cumulative time of the
top-level ``cairn`` modules that ``import cairn.api.app`` loads, in a fresh interpreter each
time (byte code cached, as after the first start). The server is the real ``cairn serve
--no-worker`` on a free port, timed from spawning the process until the health route answers:
once on a new SQLite data directory (it migrates the database first) and once on one that is
already migrated. Each figure is the best of three runs; a smaller figure is better, and
issue 15 asks that neither grows.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.harness import ROOT, Env, Options, free_port, log, row, scenario

NAME = "startup"
RUNS = 3
#: How long one start may take before the run counts as failed.
TIMEOUT_S = 120.0
#: ``import time: <self> | <cumulative> | <indent><module>``
IMPORTTIME = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|( *)(\S+)\s*$")

#: The command line of ``cairn`` from this interpreter (the tree of the benchmark, not another
#: installation): ``python -c "<run the CLI>" serve …``.
CAIRN = [sys.executable, "-c", "from cairn.cli.main import app; app()"]


def import_time_us(module: str = "cairn.api.app") -> int:
    """Microseconds that importing ``module`` spends in ``cairn`` modules, from Python's own
    ``-X importtime`` report: the cumulative time of every top-level ``cairn…`` entry."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=ROOT,
        env=_environ(),
        capture_output=True,
        text=True,
        check=True,
    )
    total = 0
    for line in result.stderr.splitlines():
        m = IMPORTTIME.match(line)
        if m and len(m.group(3)) == 1:
            name = m.group(4)
            if name == "cairn" or name.startswith("cairn."):
                total += int(m.group(2))
    if total == 0:
        raise RuntimeError(f"no cairn module in the import-time report:\n{result.stderr[-2000:]}")
    return total


def serve_seconds(data_dir: Path) -> float:
    """Seconds from spawning ``cairn serve --no-worker`` on ``data_dir`` until
    ``GET /api/v1/health`` answers 200; the server is stopped again."""
    import httpx

    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"sqlite:///{data_dir / 'cairn.db'}"
    cmd = [*CAIRN, "serve", "--no-worker", "--port", str(port), "--data", str(data_dir)]
    cmd += ["--database", url]
    log_path = data_dir / f"serve-{port}.log"
    with log_path.open("wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=_environ(), stdout=out, stderr=out)
    try:
        deadline = t0 + TIMEOUT_S
        while time.perf_counter() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"cairn serve exited ({proc.returncode}):\n{log_path.read_text()[-4000:]}"
                )
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                if r.status_code == 200:
                    return time.perf_counter() - t0
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"cairn serve did not answer within {TIMEOUT_S:g} s")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _environ() -> dict[str, str]:
    """This process's environment with the benchmark's tree first on the path, and no
    ``CAIRN_*`` setting that would change what starts (a test clock, another database)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
    src = str(ROOT / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    return env


@scenario(NAME, dbs=("sqlite",), description="import time of cairn.api.app; cairn serve start-up")
def run(env: Env, opts: Options) -> list[dict[str, Any]]:
    imports = [import_time_us() for _ in range(RUNS)]
    log(f"{NAME}: import cairn.api.app {[round(t / 1000) for t in imports]} ms")
    fresh: list[float] = []
    again: list[float] = []
    for i in range(RUNS):
        data_dir = env.data_dir / f"serve-{i}"
        fresh.append(serve_seconds(data_dir))
        again.append(serve_seconds(data_dir))
    log(f"{NAME}: serve (new data dir) {[round(t, 2) for t in fresh]} s")
    log(f"{NAME}: serve (migrated data dir) {[round(t, 2) for t in again]} s")
    db = env.db
    return [
        row(NAME, db, "import cairn.api.app (-X importtime, best of 3)", "ms", min(imports) / 1000),
        row(
            NAME,
            db,
            "cairn serve → /api/v1/health, new data dir (best of 3)",
            "ms",
            min(fresh) * 1000,
        ),
        row(
            NAME,
            db,
            "cairn serve → /api/v1/health, migrated data dir (best of 3)",
            "ms",
            min(again) * 1000,
        ),
    ]
