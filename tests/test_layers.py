"""The layer rule of DESIGN.md is a test too: import-linter's contract must hold.

The contract ("cairn layers") is configured in ``pyproject.toml`` under ``[tool.importlinter]``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lint_imports_command() -> list[str]:
    beside_python = Path(sys.executable).parent / "lint-imports"
    found = str(beside_python) if beside_python.exists() else shutil.which("lint-imports")
    assert found, (
        "lint-imports not installed: it comes with the test extra (pip install -e '.[test]')"
    )
    return [found, "--no-cache"]


def test_import_layers_contract_holds() -> None:
    result = subprocess.run(
        lint_imports_command(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, f"import-linter contract broken:\n{report}"
    assert "cairn layers KEPT" in report
