"""What the benchmark server spends outside its requests' own work: garbage-collection pauses
(``gc.callbacks``) and automatic index builds (``store.indexes.create_index``: how long, and
on which thread). ``BENCH_PROBE=PATH`` turns it on in ``bench.server``, which writes the
figures as JSON to PATH when it stops; ``grid_outliers`` reads them."""

from __future__ import annotations

import gc
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def install(path: Path) -> Callable[[], None]:
    """Start counting; the returned function writes what was counted to ``path``."""
    pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    started: dict[str, float] = {}

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started["t"] = time.perf_counter()
        elif "t" in started:
            ms = (time.perf_counter() - started.pop("t")) * 1000
            pauses[info["generation"]].append(ms)

    gc.callbacks.append(on_gc)
    builds: list[dict[str, Any]] = []

    def timed(real: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                ms = (time.perf_counter() - t0) * 1000
                builds.append({"ms": ms, "thread": threading.current_thread().name})

        return run

    from cairn.store import indexes

    if hasattr(indexes, "create_index"):  # built in the request's thread
        indexes.create_index = timed(indexes.create_index)
    try:  # a builder thread of its own (where the advisor lives in store.index_advisor)
        from cairn.store import index_advisor  # type: ignore[attr-defined]
    except ImportError:
        pass
    else:
        index_advisor.build_index = timed(index_advisor.build_index)

    def dump() -> None:
        out = {
            "gc": {
                str(g): {"n": len(ms), "total_ms": sum(ms), "max_ms": max(ms, default=0.0)}
                for g, ms in pauses.items()
            },
            "builds": builds,
        }
        path.write_text(json.dumps(out))

    return dump
