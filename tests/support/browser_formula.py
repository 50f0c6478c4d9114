"""The browser's formula evaluator (``web/src/formula``) run by node for the Python tests.

``BrowserFormula.start()`` bundles ``bench/formula_driver.ts`` with the evaluator and keeps one
node process that answers JSON requests line by line: the machinery is
``bench/node_formula.py``, shared with ``make bench`` (which times a form's linkage with it).

Without node or ``web/node_modules`` the tests using it are skipped, saying why, except under
``CI=true``, where that fails them.
"""

from __future__ import annotations

import os
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cairn.formula import ErrorValue

ROOT = Path(__file__).resolve().parents[2]
# bench/ sits at the repository's root, which pytest does not put on sys.path (only tests/).
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

from bench.node_formula import WEB, NodeFormula, missing  # noqa: E402

__all__ = ["ROOT", "WEB", "BrowserFormula", "encode", "missing", "require"]
EPOCH = datetime(1970, 1, 1)


def require() -> None:
    reason = missing()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"the browser formula tests must run in CI: {reason}")
    pytest.skip(f"browser formula evaluator not run: {reason}")


class BrowserFormula(NodeFormula):
    """The node driver; starting it skips (or, in CI, fails) the test when it cannot run."""

    @classmethod
    def start(cls, workdir: Path) -> BrowserFormula:
        require()
        return cls(NodeFormula.start(workdir).proc)


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
