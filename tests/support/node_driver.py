"""A TypeScript driver of this folder (``*_driver.ts``) bundled with the web code it imports
and run by node, answering JSON requests line by line: how the Python tests hold the browser's
code (key checks, the form's proof of work …) to the server's.

Without node or ``web/node_modules`` the tests using it are skipped, saying why, except under
``CI=true``, where that fails them (``browser_formula.require``).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from support.browser_formula import WEB, require

HERE = Path(__file__).resolve().parent

#: Asks the driver one request; its answer's ``ok``.
Ask = Callable[[Any], Any]


@contextmanager
def node_driver(name: str, workdir: Path) -> Iterator[Ask]:
    """Bundle ``tests/support/<name>`` into ``workdir`` and run it for the block's length.
    A reply with ``error`` fails the asking test with it."""
    require()
    bundle = workdir / f"{Path(name).stem}.cjs"
    subprocess.run(
        ["node", str(WEB / "node_modules" / "rolldown" / "bin" / "cli.mjs"), str(HERE / name),
         "--format", "cjs", "--platform", "node", "--file", str(bundle)],
        check=True, cwd=WEB, capture_output=True, text=True,
    )  # fmt: skip
    proc = subprocess.Popen(
        ["node", str(bundle)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdin is not None and proc.stdout is not None
    stdin, stdout = proc.stdin, proc.stdout

    def ask(request: Any) -> Any:
        stdin.write(json.dumps(request) + "\n")
        stdin.flush()
        answer: dict[str, Any] = json.loads(stdout.readline())
        assert "error" not in answer, answer
        return answer["ok"]

    try:
        yield ask
    finally:
        stdin.close()
        proc.wait(timeout=10)
