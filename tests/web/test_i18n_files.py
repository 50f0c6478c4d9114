"""The UI's texts exist in both languages, key for key (web/src/i18n/*.json and parts/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

I18N = Path(__file__).resolve().parents[2] / "web" / "src" / "i18n"
LANGS = ("en", "zh-CN")


def _keys(node: Any, prefix: str = "") -> set[str]:
    if isinstance(node, dict):
        out: set[str] = set()
        for k, v in node.items():
            out |= _keys(v, f"{prefix}.{k}" if prefix else k)
        return out
    return {prefix}


def _merged(lang: str) -> dict[str, Any]:
    base = json.loads((I18N / f"{lang}.json").read_text(encoding="utf-8"))
    for part in sorted((I18N / "parts").glob(f"*.{lang}.json")):
        data = json.loads(part.read_text(encoding="utf-8"))
        clash = set(data) & set(base)
        assert not clash, f"{part.name} redefines {sorted(clash)} of {lang}.json"
        base.update(data)
    return base


def test_both_languages_have_the_same_keys() -> None:
    en, zh = (_keys(_merged(lang)) for lang in LANGS)
    assert not en - zh, f"missing in zh-CN: {sorted(en - zh)[:20]}"
    assert not zh - en, f"missing in en: {sorted(zh - en)[:20]}"


def test_every_part_comes_in_both_languages() -> None:
    names = {p.name.rsplit(".", 2)[0] for p in (I18N / "parts").glob("*.json")}
    for name in names:
        for lang in LANGS:
            assert (I18N / "parts" / f"{name}.{lang}.json").exists(), f"{name}.{lang}.json"
