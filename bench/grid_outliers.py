"""Where the grid's slow outliers come from: the grid shapes at 20,000 rows, cold, per cause.

``grid_reads`` measures after a warm-up; a user meets the table cold: the first pages on a new
filter make the automatic indexer build an index, the server's heap is young, other requests
write meanwhile. Here each variant starts a fresh server on the same 20,000 customers (the
automatic indexes dropped first, so each variant starts where a new table does) and sends each
shape of ``grid_reads`` once untimed (a connection, the catalogue), then ``opts.queries``
timed, and reports p50 / p99 / max over all of them and how many took more than 4× their
shape's p50. The variants:

- ``as is``: the server as ``cairn serve`` runs it;
- ``auto-index off``: ``CAIRN_AUTO_INDEX_MIN_ROWS`` so high that no index is ever built;
- ``gc: Python's default``: without the start-up heap freeze (``cairn.api.heap``), to see what
  it saves; ``gc off``: no cyclic collection at all (a bound, not a setting to ship);
- ``writes``: one record written through HTTP every 20 ms from another client while the reads
  run (SQLite: WAL checkpoints and the write lock; both: the server's CPU);
- ``worker``: the background worker (``python -m cairn.worker``, what ``cairn serve`` starts
  beside the server) polling the outbox meanwhile; ``writes + worker``: both, the worker
  dispatching the writes' events, as in production.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench import grid_reads as grid
from bench.harness import ROOT, Env, Options, Target, log, percentile, row, scenario

SIZE = 20_000
SPREAD = Target("ratio", "<=", 4)
NEVER = str(10**12)
VARIANTS: dict[str, dict[str, str]] = {
    "as is": {},
    "auto-index off": {"CAIRN_AUTO_INDEX_MIN_ROWS": NEVER},
    "gc: Python's default": {"BENCH_SERVER_GC": "python"},
    "gc off": {"BENCH_SERVER_GC": "off"},
    "writes": {"BENCH_WRITES": "1"},
    "worker": {"BENCH_WORKER": "1"},
    "writes + worker": {"BENCH_WRITES": "1", "BENCH_WORKER": "1"},
}


@contextmanager
def environ(changes: dict[str, str]) -> Iterator[None]:
    """``os.environ`` with ``changes`` (the server process inherits it), restored after."""
    saved = {k: os.environ.get(k) for k in changes}
    os.environ.update(changes)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def drop_auto_indexes(env: Env) -> list[str]:
    """Drop the indexes the automatic indexer made (``ix_t<id>_<kind><field>``)."""
    dropped = [n for n in grid.index_list(env) if re.fullmatch(r"ix_t\d+_[a-z]\d+(_\d+)*", n)]
    grid.ddl(env, [f'DROP INDEX "{n}"' for n in dropped])
    return dropped


@contextmanager
def writes_and_worker(
    env: Env, server: Any, writes: bool, worker: bool
) -> Iterator[dict[str, int]]:
    """A worker process beside the server and/or a client writing one record every 20 ms."""
    worker_env = {
        **os.environ,
        "CAIRN_DATA_DIR": str(env.data_dir),
        "CAIRN_DATABASE_URL": env.url,
    }
    log_path = env.data_dir / "worker.log"
    proc = None
    if worker:
        with log_path.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "cairn.worker", "--no-periodic"],
                cwd=ROOT,
                env=worker_env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
    stop = threading.Event()
    done = {"writes": 0}

    def write() -> None:
        url = f"/api/v1/apps/{grid.APP}/tables/{grid.TABLE}/records"
        with env.api_client(server) as client:
            for record in grid.customers(10**7, 10**8):
                if stop.wait(0.02):
                    return
                r = client.post(url, json=record)
                if r.status_code != 201:
                    raise RuntimeError(f"write: {r.status_code} {r.text[:300]}")
                done["writes"] += 1

    writer = threading.Thread(target=write, daemon=True)
    if writes:
        writer.start()
    try:
        yield done
    finally:
        stop.set()
        if writes:
            writer.join(10)
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def probe(env: Env, opts: Options, name: str) -> list[dict[str, Any]]:
    probe_path = env.data_dir / f"probe-{len(env._servers)}-{abs(hash(name))}.json"
    changes = {**VARIANTS[name], "BENCH_PROBE": str(probe_path)}
    dropped = drop_auto_indexes(env)
    with environ(changes):
        server = env.start_server()
    try:
        with env.api_client(server, timeout=600) as client:
            shapes = grid.shapes(grid.make_dashboards(client, suffix=str(server.port)))
            busy = (bool(changes.get("BENCH_WRITES")), bool(changes.get("BENCH_WORKER")))
            with writes_and_worker(env, server, *busy) as w:
                all_ms: list[float] = []
                p50s: list[float] = []
                slow = 0
                for shape in shapes:
                    ms = grid.time_http(client, shape, opts.queries, warmup=1)
                    p50 = percentile(ms, 50)
                    p50s.append(p50)
                    slow += sum(1 for x in ms if x > 4 * p50)
                    all_ms += [x / p50 for x in ms]
                writes = dict(w)
    finally:
        server.stop()
        env._servers.remove(server)
    probe = json.loads(probe_path.read_text())
    built = [n for n in grid.index_list(env) if n in dropped or n.startswith("ix_t")]
    extra = f"; {writes['writes']} writes meanwhile" if writes["writes"] else ""
    log(f"{env.db} {name}: {slow} slow of {len(all_ms)}; indexes after: {built}{extra}")
    what = f"{name}, {SIZE:,} rows, {len(shapes)} shapes × {opts.queries}"
    p99, top = percentile(all_ms, 99), max(all_ms)
    return [
        row(
            "grid outliers",
            env.db,
            f"median of the shapes' p50: {what}",
            "ms",
            percentile(p50s, 50),
        ),
        row(
            "grid outliers",
            env.db,
            f"p99 / p50 of its shape: {what}",
            "×",
            p99,
            ratio=p99,
            target=SPREAD,
        ),
        row("grid outliers", env.db, f"max / p50 of its shape: {what}", "×", top),
        row("grid outliers", env.db, f"requests > 4× p50: {what}", "n", slow),
        *probe_rows(env.db, what, probe),
    ]


def probe_rows(db: str, what: str, probe: dict[str, Any]) -> list[dict[str, Any]]:
    """The server's GC pauses and index builds during the variant (``bench.server_probe``)."""
    gcs = probe["gc"].values()
    full = probe["gc"]["2"]
    builds = probe["builds"]
    inline = [b for b in builds if b["thread"] != "index-builder"]
    return [
        row(
            "grid outliers",
            db,
            f"GC pauses, total (all generations): {what}",
            "ms",
            sum(g["total_ms"] for g in gcs),
        ),
        row(
            "grid outliers",
            db,
            f"GC pause, longest (all generations): {what}",
            "ms",
            max(g["max_ms"] for g in gcs),
        ),
        row("grid outliers", db, f"GC full collections: {what}", "n", full["n"]),
        row("grid outliers", db, f"index builds in a request: {what}", "n", len(inline)),
        row(
            "grid outliers",
            db,
            f"index build in a request, longest: {what}",
            "ms",
            max((b["ms"] for b in inline), default=0.0),
        ),
    ]


@scenario(
    "grid_outliers",
    description="p99 and max of the grid shapes at 20,000 rows, cold, per cause "
    "(auto-index, gc, writes + worker)",
)
def grid_outliers(env: Env, opts: Options) -> list[dict[str, Any]]:
    grid.setup(env)
    grid.load(env, grid.TABLE, grid.customers(0, SIZE), opts.batch)
    grid.load(env, grid.TICKETS, grid.tickets(0, SIZE // 10, SIZE), opts.batch)
    if env.db == "postgresql":
        grid.ddl(env, [])
    log(f"{env.db}: {SIZE:,} customers loaded")
    names = os.environ.get("BENCH_OUTLIER_VARIANTS")
    chosen = names.split(",") if names else list(VARIANTS)
    rows: list[dict[str, Any]] = []
    for name in chosen:
        rows += probe(env, opts, name)
    return rows
