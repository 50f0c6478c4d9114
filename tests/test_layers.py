"""The layer rule of DESIGN.md is a test too: import-linter's contracts must hold.

The contracts are configured in ``pyproject.toml`` under ``[tool.importlinter]``: "cairn layers"
(one direction of imports, sibling engines independent) and, from issue 15, "api reaches the
database only through services" (``cairn.api`` never imports ``cairn.store``) and "services
modules import each other without cycles" (type-only imports do not count).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
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
    assert "api reaches the database only through services KEPT" in report
    assert "services modules import each other without cycles KEPT" in report


def test_the_contracts_are_the_ones_the_design_names() -> None:
    """A contract dropped from pyproject.toml would let the test above pass vacuously."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = {c["name"]: c for c in config["tool"]["importlinter"]["contracts"]}
    assert contracts["cairn layers"]["type"] == "layers"
    api = contracts["api reaches the database only through services"]
    assert (api["type"], api["source_modules"], api["forbidden_modules"]) == (
        "forbidden",
        ["cairn.api"],
        ["cairn.store"],
    )
