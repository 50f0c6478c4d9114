"""Imports sit at the top of a module (STYLE.md): one inside a function hides a dependency and,
in cairn, usually an import cycle. Two exceptions, each said in a comment on the line above:

- ``# cycle: …`` names the cycle the deferred cairn import breaks;
- ``# deferred: …`` says why a third-party or standard-library import waits (its start-up cost).

Imports under ``if TYPE_CHECKING:`` are not inside a function and are fine.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "cairn"


def imports_in_functions(path: Path) -> list[tuple[int, str, str]]:
    """(line, module, the comment that excuses it or "") for each import inside a function;
    a comment excuses the import below it and the imports that directly follow that one."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    for fn in ast.walk(ast.parse("\n".join(lines))):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(fn):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            module = node.module or "" if isinstance(node, ast.ImportFrom) else node.names[0].name
            i = node.lineno - 2
            while i >= 0 and lines[i].lstrip().startswith(("import ", "from ")):
                i -= 1
            above = lines[i].strip() if i >= 0 else ""
            found.append((node.lineno, module, above if above.startswith("#") else ""))
    return found


def unexcused() -> list[str]:
    """Every import inside a function that no comment excuses, as ``path:line: module``."""
    bad = []
    for path in sorted(SRC.rglob("*.py")):
        for line, module, comment in imports_in_functions(path):
            internal = module.startswith("cairn")
            excused = (
                comment.startswith("# cycle:")
                if internal
                else comment.startswith(("# cycle:", "# deferred:"))
            )
            if not excused:
                bad.append(f"{path.relative_to(SRC.parent)}:{line}: {module}")
    return bad


def test_no_cairn_import_inside_a_function_unless_it_breaks_a_named_cycle() -> None:
    # A fresh interpreter: CPython 3.11's ast module can be left unusable ("AST constructor
    # recursion depth mismatch") by a RecursionError in the same process, which the formula
    # parser's deep-nesting tests provoke on purpose.
    result = subprocess.run(
        [sys.executable, __file__], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    bad = [line for line in result.stdout.splitlines() if line]
    assert not bad, (
        "imports inside functions (move them to the top, or say why on the line above with"
        " '# cycle: …' or, for a third-party module, '# deferred: …'):\n" + "\n".join(bad)
    )


def test_the_scanner_sees_an_unexcused_import(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text(
        "def f():\n"
        "    from cairn.store import x\n"
        "def g():\n"
        "    # cycle: cairn.a imports this module\n"
        "    from cairn.a import y\n"
        "    from cairn.a import z\n"
        "def h():\n"
        "    # deferred: slow to import\n"
        "    import openpyxl\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, __file__, str(sample)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    got = [line.split("|") for line in result.stdout.splitlines() if line]
    assert [(int(line), module) for line, module, _ in got] == [
        (2, "cairn.store"),
        (5, "cairn.a"),
        (6, "cairn.a"),
        (9, "openpyxl"),
    ]
    assert [bool(c) for _, _, c in got] == [False, True, True, True]


if __name__ == "__main__":  # run by the tests in a fresh interpreter (see above)
    if len(sys.argv) > 1:
        for line, module, comment in imports_in_functions(Path(sys.argv[1])):
            print(f"{line}|{module}|{comment}")
    else:
        print("\n".join(unexcused()))
