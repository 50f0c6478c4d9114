"""The UI's field-type registry mirrors the backend's by key (STYLE.md: one module per key),
and offers only filter operators the backend accepts for that type."""

from __future__ import annotations

import re
from pathlib import Path

from cairn.meta import builtin_field_types

UI = Path(__file__).resolve().parents[1] / "web" / "src" / "registries" / "fieldTypes"


def _constants() -> dict[str, list[str]]:
    text = (UI / "types.ts").read_text(encoding="utf-8")
    out = {}
    for name, body in re.findall(r"export const ([A-Z_]+) = \[(.*?)\]", text, re.S):
        out[name] = re.findall(r"'([a-z_]+)'", body)
    return out


def _ui_operators(key: str) -> list[str]:
    text = (UI / f"{key}.ts").read_text(encoding="utf-8")
    m = re.search(r"operators: (\[.*?\]|[A-Z_]+),", text, re.S)
    assert m, f"{key}.ts names no operators"
    value = m.group(1)
    return re.findall(r"'([a-z_]+)'", value) if value.startswith("[") else _constants()[value]


def test_every_backend_field_type_has_a_ui_module_and_no_more() -> None:
    backend = set(builtin_field_types().keys())
    ui = {p.stem for p in UI.glob("*.ts")} - {"index", "types", "families"}
    assert ui == backend


def test_ui_filter_operators_are_ones_the_backend_accepts() -> None:
    for ft in builtin_field_types():
        ops = _ui_operators(ft.key)
        assert set(ops) <= set(ft.operators), (ft.key, set(ops) - set(ft.operators))
        text = (UI / f"{ft.key}.ts").read_text(encoding="utf-8")
        assert f"writable: {'true' if ft.writable else 'false'}" in text, ft.key


def test_lookup_value_operators_are_the_backends() -> None:
    """A lookup's value operators (its target's, compared through the links) are the ones
    ``cairn.query.linked_filters`` accepts."""
    from cairn.query.linked_filters import VALUE_OPS

    text = (UI.parent / "filterSubject.ts").read_text(encoding="utf-8")
    m = re.search(r"const VALUE_OPS = new Set\(\[(.*?)\]\)", text, re.S)
    assert m
    assert set(re.findall(r"'([a-z_]+)'", m.group(1))) == set(VALUE_OPS)
