"""The browser's formula evaluator (``web/src/formula``) bundled and run outside the browser,
for the bench and the Python tests (``tests/support/browser_formula.py`` imports this module;
nothing here imports the tests).

:func:`bundle` bundles a TypeScript entry with the evaluator using the bundler Vite ships in
``web/node_modules`` (Rolldown: Vite 8 bundles with it; there is no esbuild there any more).
:class:`NodeFormula` runs ``bench/formula_driver.ts`` in one node process that answers JSON
requests line by line (ops ``keys``, ``eval``, ``linkage``, ``keystrokes``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WEB = ROOT / "web"
ROLLDOWN = WEB / "node_modules" / "rolldown" / "bin" / "cli.mjs"
#: The node driver (one JSON request per line).
DRIVER = HERE / "formula_driver.ts"
#: The keystroke loop for a browser page (sets ``window.cairnLinkage``).
PAGE_ENTRY = HERE / "linkage_page.ts"


def missing() -> str | None:
    """Why the evaluator cannot run here (None: it can)."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not ROLLDOWN.exists():
        return "web/node_modules has no rolldown (run npm install in web/)"
    return None


def bundle(
    entry: Path, out: Path, fmt: Literal["cjs", "iife"] = "cjs", platform: str = "node"
) -> Path:
    """``entry`` and what it imports as one script ``out``."""
    subprocess.run(
        ["node", str(ROLLDOWN), str(entry), "--format", fmt, "--platform", platform, "--file", str(out)],
        check=True,
        cwd=WEB,
        capture_output=True,
        text=True,
    )  # fmt: skip
    return out


@dataclass
class NodeFormula:
    """One node process running the driver."""

    proc: subprocess.Popen[str]

    @classmethod
    def start(cls, workdir: Path) -> NodeFormula:
        reason = missing()
        if reason is not None:
            raise RuntimeError(f"the browser formula evaluator cannot run: {reason}")
        script = bundle(DRIVER, workdir / "formula_driver.cjs")
        proc = subprocess.Popen(
            ["node", str(script)],
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
