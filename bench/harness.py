"""The benchmark harness: scenario registry, database environments, server process, report.

A scenario is a function ``run(env, opts) -> list[row]`` registered with ``@scenario``. It runs
once per database, each time in a fresh environment (:class:`Env`): a new SQLite file in a
temporary directory, or a throw-away PostgreSQL database ``cairn_bench_<hex>`` dropped at the
end. A row is a dict with the keys of :data:`ROW_KEYS`; build it with :func:`row`.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
DBS = ("sqlite", "postgresql")
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ROW_KEYS = ("scenario", "db", "figure", "unit", "value", "baseline", "ratio", "target", "ok")


# -- options, targets, rows ----------------------------------------------------------------


@dataclass
class Options:
    records: int = 200_000
    queries: int = 200
    dbs: Sequence[str] = DBS
    batch: int = 1000
    pg_url: str = DEFAULT_PG_URL
    verbose: bool = False
    #: Table sizes of the scenarios that measure several (``grid_reads``); empty: their own.
    sizes: Sequence[int] = ()


@dataclass(frozen=True)
class Target:
    """``value`` (or ``ratio``) must be ``<=`` / ``>=`` ``limit``; ``dbs`` limits where it applies."""

    on: Literal["value", "ratio"]
    op: Literal["<=", ">="]
    limit: float
    unit: str = ""
    dbs: Sequence[str] = DBS

    def applies(self, db: str) -> bool:
        return db in self.dbs

    def check(self, value: float | None, ratio: float | None) -> bool | None:
        x = value if self.on == "value" else ratio
        if x is None:
            return None
        return x <= self.limit if self.op == "<=" else x >= self.limit

    def __str__(self) -> str:
        sign = "≤" if self.op == "<=" else "≥"
        limit = f"{self.limit:g}"
        if self.on == "ratio":
            return f"ratio {sign} {limit}"
        return f"{sign} {limit} {self.unit}".strip()


def row(
    scenario: str,
    db: str,
    figure: str,
    unit: str,
    value: float | None,
    *,
    baseline: float | None = None,
    ratio: float | None = None,
    target: Target | None = None,
) -> dict[str, Any]:
    """One figure. ``ratio`` is given by the scenario (it knows which way is better)."""
    applies = target is not None and target.applies(db)
    return {
        "scenario": scenario,
        "db": db,
        "figure": figure,
        "unit": unit,
        "value": _round(value),
        "baseline": _round(baseline),
        "ratio": _round(ratio),
        "target": str(target) if applies else None,
        "ok": target.check(value, ratio) if applies and target is not None else None,
    }


def _round(x: float | None) -> float | None:
    if x is None:
        return None
    if abs(x) >= 100:
        return round(x, 1)
    return round(x, 3)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    k = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[k - 1]


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# -- scenario registry ---------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    run: Callable[[Env, Options], list[dict[str, Any]]]
    description: str = ""
    dbs: Sequence[str] = DBS


SCENARIOS: list[Scenario] = []


def scenario(
    name: str, *, description: str = "", dbs: Sequence[str] = DBS
) -> Callable[[Callable[[Env, Options], list[dict[str, Any]]]], Any]:
    """Register ``run(env, opts) -> rows`` under ``name`` (later issues add their own)."""

    def register(fn: Callable[[Env, Options], list[dict[str, Any]]]) -> Any:
        if any(s.name == name for s in SCENARIOS):
            raise ValueError(f"scenario {name!r} registered twice")
        SCENARIOS.append(Scenario(name, fn, description or (fn.__doc__ or "").strip(), dbs))
        return fn

    return register


# -- environments --------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def pg_problem(url: str) -> str | None:
    """None when PostgreSQL at ``url`` answers, else why not."""
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        finally:
            engine.dispose()
    except Exception as e:
        return f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    return None


@dataclass
class Env:
    """One fresh database and its Cairn services (built on first use)."""

    db: str
    url: str
    data_dir: Path
    opts: Options
    _services: Any = None
    _servers: list[ServerProcess] = field(default_factory=list)
    _token: str | None = None

    @property
    def services(self) -> Any:
        if self._services is None:
            from cairn.services.context import build_services

            self._services = build_services(self.settings())
        return self._services

    def settings(self) -> Any:
        from cairn.core import Settings

        return Settings(data_dir=self.data_dir, database_url=self.url)

    def admin_token(self) -> str:
        """An API token of an administrator (created on first use): the server needs one."""
        if self._token is None:
            from cairn.auth import cli

            s = self.services
            user = s.directory.create_user(cli(), {"username": "bench-admin", "is_admin": True})
            self._token = s.auth.create_token(cli(), user["id"], "bench")[1]
        return self._token

    def api_client(self, server: ServerProcess, timeout: float = 120) -> Any:
        """An ``httpx.Client`` for ``server``, signed in as an administrator."""
        import httpx

        auth = {"authorization": f"Bearer {self.admin_token()}"}
        return httpx.Client(base_url=server.base_url, timeout=timeout, headers=auth)

    def start_server(self) -> ServerProcess:
        """A real uvicorn server over this database, in its own process (its memory is its own)."""
        server = ServerProcess.start(self)
        self._servers.append(server)
        return server

    def close(self) -> None:
        for server in self._servers:
            server.stop()
        self._servers.clear()
        if self._services is not None:
            self._services.close()
            self._services = None


@contextmanager
def environment(db: str, opts: Options) -> Iterator[Env]:
    tmp = Path(tempfile.mkdtemp(prefix=f"cairn-bench-{db}-"))
    admin: sa.Engine | None = None
    name = ""
    try:
        if db == "sqlite":
            url = f"sqlite:///{tmp / 'cairn.db'}"
        else:
            name = f"cairn_bench_{uuid.uuid4().hex[:12]}"
            admin = sa.create_engine(opts.pg_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            url = sa.make_url(opts.pg_url).set(database=name).render_as_string(hide_password=False)
        env = Env(db, url, tmp, opts)
        try:
            yield env
        finally:
            env.close()
    finally:
        if admin is not None:
            try:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                admin.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


# -- the server process --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ServerProcess:
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, env: Env, timeout: float = 60.0) -> ServerProcess:
        import httpx

        port = free_port()
        log_path = env.data_dir / f"server-{port}.log"
        cmd = [
            sys.executable,
            "-m",
            "bench.server",
            "--data-dir",
            str(env.data_dir),
            "--database-url",
            env.url,
            "--port",
            str(port),
        ]
        with log_path.open("wb") as out:
            proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        server = cls(proc, port, log_path)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited ({proc.returncode}):\n{server.output()}")
            try:
                if httpx.get(f"{server.base_url}/api/v1/health", timeout=1).status_code == 200:
                    return server
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        server.stop()
        raise RuntimeError(f"the server did not answer within {timeout:g} s:\n{server.output()}")

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def rss_mib(self) -> float:
        """Resident memory of the server process (VmRSS from /proc), in MiB."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# -- running and reporting -----------------------------------------------------------------


def run_all(opts: Options, names: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Every registered scenario (or those in ``names``) on every database in ``opts.dbs``."""
    rows: list[dict[str, Any]] = []
    chosen = [s for s in SCENARIOS if not names or s.name in names]
    if names and len(chosen) != len(set(names)):
        known = ", ".join(s.name for s in SCENARIOS)
        raise SystemExit(f"unknown scenario in {list(names)}; known: {known}")
    for db in opts.dbs:
        if db == "postgresql":
            problem = pg_problem(opts.pg_url)
            if problem:
                print(f"PostgreSQL skipped: {opts.pg_url} is unreachable ({problem})")
                continue
        for s in chosen:
            if db not in s.dbs:
                continue
            log(f"{s.name} on {db}: {opts.records} records")
            with environment(db, opts) as env:
                rows.extend(s.run(env, opts))
    return rows


def render_table(rows: Sequence[dict[str, Any]], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for name, justify in (
        ("scenario", "left"),
        ("db", "left"),
        ("figure", "left"),
        ("value", "right"),
        ("unit", "left"),
        ("baseline", "right"),
        ("ratio", "right"),
        ("target", "left"),
        ("ok", "center"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in rows:
        ok = {True: "[green]✓[/]", False: "[red]✗[/]", None: "–"}[r["ok"]]
        table.add_row(
            r["scenario"],
            r["db"],
            r["figure"],
            _fmt(r["value"]),
            r["unit"],
            _fmt(r["baseline"]),
            "" if r["ratio"] is None else f"{r['ratio']:.2f}×",
            r["target"] or "",
            ok,
        )
    Console(width=max(120, shutil.get_terminal_size((160, 40)).columns)).print(table)


def _fmt(x: float | None) -> str:
    if x is None:
        return ""
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.1f}"
    return f"{x:.2f}"


def save_json(payload: dict[str, Any], path: Path | None) -> list[Path]:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    paths = [RESULTS_DIR / f"bench-{stamp}.json"]
    if path is not None:
        paths.append(path)
    for p in paths:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    return paths


def machine() -> dict[str, Any]:
    import platform
    import sqlite3

    try:
        commit = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    return {
        "commit": commit,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }
