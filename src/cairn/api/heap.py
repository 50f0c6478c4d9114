"""The server process's heap once started: what start-up made is kept out of the collector.

Start-up leaves a few hundred thousand long-lived objects (modules, the FastAPI routes and
their Pydantic models, the catalogue, SQLAlchemy's compiled caches). Python's cyclic garbage
collector walks every tracked object on each full (generation 2) collection, which a busy
server triggers every few thousand requests: tens of milliseconds that land on whichever
request allocated at that moment, a p99 outlier. ``gc.freeze()`` moves the objects alive now to
a permanent generation the collector skips; what requests allocate is collected as before.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect once, then freeze the survivors out of later collections (call after start-up,
    once the application is built and before it serves)."""
    gc.collect()
    gc.freeze()
