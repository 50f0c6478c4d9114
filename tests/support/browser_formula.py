"""The browser's formula evaluator (``web/src/formula``) run by node for the Python tests.

``BrowserFormula.start()`` bundles ``tests/support/formula_driver.ts`` with the evaluator using
the bundler Vite ships in ``web/node_modules`` (Rolldown: Vite 8 bundles with it; there is no
esbuild there any more) and keeps one node process that answers JSON requests line by line.

Without node or ``web/node_modules`` the tests using it are skipped, saying why, except under
``CI=true``, where that fails them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cairn.formula import ErrorValue

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
DRIVER = Path(__file__).with_name("formula_driver.ts")
EPOCH = datetime(1970, 1, 1)


def missing() -> str | None:
    """Why the browser evaluator cannot run here (None: it can)."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (WEB / "node_modules" / "rolldown" / "bin" / "cli.mjs").exists():
        return "web/node_modules has no rolldown (run npm install in web/)"
    return None


def require() -> None:
    reason = missing()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"the browser formula tests must run in CI: {reason}")
    pytest.skip(f"browser formula evaluator not run: {reason}")


@dataclass
class BrowserFormula:
    proc: subprocess.Popen[str]

    @classmethod
    def start(cls, workdir: Path) -> BrowserFormula:
        require()
        bundle = workdir / "formula_driver.cjs"
        subprocess.run(
            [
                "node",
                str(WEB / "node_modules" / "rolldown" / "bin" / "cli.mjs"),
                str(DRIVER),
                "--format",
                "cjs",
                "--platform",
                "node",
                "--file",
                str(bundle),
            ],
            check=True,
            cwd=WEB,
            capture_output=True,
            text=True,
        )
        proc = subprocess.Popen(
            ["node", str(bundle)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        return cls(proc)

    def ask(self, request: dict[str, Any]) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request, ensure_ascii=False) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())
        if "error" in answer:
            raise AssertionError(f"the browser evaluator failed: {answer['error']}")
        return answer["ok"]

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=10)


def encode(v: Any) -> Any:
    """A Python formula value as the driver encodes a browser one."""
    if isinstance(v, ErrorValue):
        return {"err": v.code}
    if isinstance(v, datetime):
        return {"dt": (v - EPOCH) // timedelta(seconds=1)}
    if isinstance(v, date):
        return {"date": v.toordinal()}
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    x = float(v)
    if x != x:
        return {"n": "NaN"}
    if x in (float("inf"), float("-inf")):
        return {"n": "Infinity" if x > 0 else "-Infinity"}
    return {"n": x}
