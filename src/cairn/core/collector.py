"""Fewer garbage collector passes while a long bulk job runs (an import of a million rows).

Such a job allocates tens of container objects per row (the row's cells, its item, its
prepared values, parameters for the driver) and frees nearly all of them by reference
counting, in a process whose heap already holds the catalog, SQLAlchemy's tables and the
compiled caches. CPython's default first threshold (700 allocations) then starts a young
collection every few rows and, every hundred of those, one that walks the whole heap: a
quarter of an import's CPU time went there while finding almost nothing. Raising the first
threshold for the job keeps collection (cycles are still found, every ``YOUNG`` allocations)
and gives that time back; the old thresholds return when the last such job ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: Allocations (net) between young collections while a bulk job runs (CPython's default: 700).
YOUNG = 100_000

_lock = threading.Lock()
_active = 0
_saved: tuple[int, int, int] | None = None


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the body with the higher first threshold (jobs in several threads share it)."""
    global _active, _saved
    with _lock:
        if _active == 0:
            _saved = gc.get_threshold()  # type: ignore[assignment]
            if _saved[0] != 0:  # 0: collection is off (a test or profile); leave it off
                gc.set_threshold(max(YOUNG, _saved[0]), *_saved[1:])
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None
