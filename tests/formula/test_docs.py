"""The function table in docs/formula.md lists every function users can call."""

from __future__ import annotations

from pathlib import Path

from cairn.formula import default_functions

DOC = Path(__file__).resolve().parents[2] / "docs" / "formula.md"


def test_every_function_is_documented_with_a_chinese_name() -> None:
    text = DOC.read_text(encoding="utf-8")
    for f in default_functions():
        if f.category == "operator":
            continue
        assert f"| {f.key} | {f.zh} |" in text, f.key
        assert f.zh and f.signature and f.example, f.key
