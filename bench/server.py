"""The benchmark's server process: ``python -m bench.server --data-dir D --database-url U --port P``.

A separate process so the harness can read the server's own memory (VmRSS) while it works.
It settles its heap after start-up as ``cairn.api.asgi`` does; ``BENCH_SERVER_GC=python``
leaves Python's collector as it comes, ``off`` disables it (``grid_outliers`` compares them); ``BENCH_PROBE=PATH`` writes its GC
pauses and index builds there when it stops (``bench.server_probe``).
"""

from __future__ import annotations

import argparse
import gc
import os
from pathlib import Path
from typing import Any


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.server")
    p.add_argument("--data-dir", type=Path, required=True)
    p.add_argument("--database-url", required=True)
    p.add_argument("--port", type=int, required=True)
    args = p.parse_args(argv)

    import uvicorn

    from bench import server_probe
    from cairn.api import create_app
    from cairn.api.heap import settle
    from cairn.core import Settings
    from cairn.services.context import build_services

    services = build_services(Settings(data_dir=args.data_dir, database_url=args.database_url))
    app = create_app(services)
    mode = os.environ.get("BENCH_SERVER_GC", "")
    if mode == "off":
        gc.disable()
    elif mode != "python":
        settle()
    probe = os.environ.get("BENCH_PROBE")
    dump = server_probe.install(Path(probe)) if probe else None
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
    )

    class Server(uvicorn.Server):
        # uvicorn re-raises SIGTERM once shut down, so no ``finally`` below runs after it.
        async def shutdown(self, sockets: Any = None) -> None:
            await super().shutdown(sockets)
            if dump is not None:
                dump()

    try:
        Server(config).run()
    finally:
        services.close()


if __name__ == "__main__":
    main()
