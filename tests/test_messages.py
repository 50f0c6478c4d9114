"""Every message key the server uses renders in zh-CN and en, whichever engine keeps its text.

The catalogue is split by engine: ``cairn.core.i18n`` keeps the generic messages and each
engine's ``messages.py`` is registered when its package is imported. Building the app imports
every engine, so after ``import cairn.api.app`` the catalogue must hold every key the source
uses, in both languages, with the same placeholders."""

from __future__ import annotations

import ast
import importlib
import json
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest

import cairn.api.app  # noqa: F401  (imports every engine, which registers its messages)
from cairn.core.i18n import CATALOGUE, LANGUAGES
from cairn.formula.functions.base import EXPECTS

SRC = Path(__file__).resolve().parents[1] / "src" / "cairn"

#: Engines whose messages live beside their code (``cairn.<package>.messages.MESSAGES``).
ENGINES = ("meta", "formula", "rules", "process", "reports", "integrations")

#: Callables whose argument at this position is a message key.
SINKS = {
    "Message": 0,
    "msg": 0,
    "CairnError": 0,
    "Invalid": 0,
    "NotFound": 0,
    "Conflict": 0,
    "Forbidden": 0,
    "Unauthenticated": 0,
    "TooManyRequests": 0,
    "Unsupported": 0,
    "BadValue": 0,
    "FormulaError": 0,
    "fail": 0,
    "on": 1,
    "invalid": 1,  # reports.datasets: invalid(location, key)
    "bad": 1,  # process.structure: bad(element, key)
    "_msg": 0,
}
#: Keyword arguments that are message keys.
KEYWORDS = {"refused", "message_key"}

#: Keys built at run time, by the pattern as written in the source, and what each yields.
DYNAMIC = {
    # services: the export headers of a record's system columns
    'f"column.{k}"': {f"column.{c}" for c in ("id", "version", "created_at", "updated_at")},
    # formula.typecheck: the type an argument should have had
    'f"formula.arg_type.{EXPECTS[kind]}"': {f"formula.arg_type.{t}" for t in EXPECTS.values()},
}

KEY = re.compile(r"[a-z_]+(\.[a-z_0-9]+)+|not_found|method_not_allowed")


def _keys_in(node: ast.expr, where: str) -> set[str]:
    """The message keys an argument expression can give: its string literals (also in both arms
    of a conditional), and f-strings through ``DYNAMIC``."""
    keys: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.JoinedStr):
            head = sub.values[0] if sub.values else None
            if isinstance(head, ast.Constant) and re.fullmatch(
                r"[a-z_]+\.([a-z_]+\.)*", head.value
            ):
                source = ast.unparse(sub).replace("'", '"')
                assert source in DYNAMIC, f"{where}: message key {source} (add it to DYNAMIC)"
                keys |= DYNAMIC[source]
        elif (
            isinstance(sub, ast.Constant)
            and isinstance(sub.value, str)
            and KEY.fullmatch(sub.value)
            and not _inside_fstring(node, sub)
        ):
            keys.add(sub.value)
    return keys


def _inside_fstring(root: ast.expr, node: ast.AST) -> bool:
    return any(isinstance(s, ast.JoinedStr) and node in s.values for s in ast.walk(root))


def used_keys() -> set[str]:
    """Every message key the package passes to an error, a ``Message`` or a field error, and
    the keys of the API's table of validation errors. Scanned in a fresh interpreter: CPython
    3.11's ast module can be left unusable ("AST constructor recursion depth mismatch") in a
    process where a RecursionError happened, as the formula parser's deep-nesting tests provoke."""
    result = subprocess.run(
        [sys.executable, __file__], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout))


def scan_keys() -> set[str]:
    """``used_keys`` in this process."""
    keys: set[str] = set()
    for path in SRC.rglob("*.py"):
        where = str(path.relative_to(SRC))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            at = SINKS.get(name)
            if at is not None and len(node.args) > at:
                keys |= _keys_in(node.args[at], where)
            for kw in node.keywords:
                if kw.arg in KEYWORDS:
                    keys |= _keys_in(kw.value, where)
    problems = (SRC / "api" / "problems.py").read_text(encoding="utf-8")
    keys |= set(re.findall(r'\("((?:invalid|value)\.[a-z_]+)"', problems))
    return keys


def test_the_source_scan_finds_keys_of_every_engine() -> None:
    keys = used_keys()
    assert {
        "invalid.input",
        "value.text",
        "field.required",
        "formula.unknown_field",
        "rule.cron",
        "process.xml",
        "task.not_open",
        "report.aggregation",
        "alert.not_found",
        "channel.failed",
        "column.created_at",
        "value.too_long",
    } <= keys
    assert len(keys) > 250


def test_every_used_key_has_a_text_in_both_languages() -> None:
    keys = used_keys()
    for language in LANGUAGES:
        missing = sorted(keys - set(CATALOGUE[language]))
        assert not missing, f"{language}: no text for {missing}"


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    en, zh = CATALOGUE["en"], CATALOGUE["zh-CN"]
    assert set(en) == set(zh), sorted(set(en) ^ set(zh))
    for key, text in en.items():
        assert text.strip() and zh[key].strip(), key
        assert _fields(text) == _fields(zh[key]), key


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("engine", ENGINES)
def test_each_engine_registers_its_own_messages(engine: str) -> None:
    messages = importlib.import_module(f"cairn.{engine}.messages").MESSAGES
    assert set(messages) == set(LANGUAGES)
    assert messages["en"], engine
    for language in LANGUAGES:
        for key, text in messages[language].items():
            assert CATALOGUE[language][key] == text, key


def test_no_key_is_kept_by_two_engines() -> None:
    seen: dict[str, str] = {}
    for engine in ENGINES:
        for key in importlib.import_module(f"cairn.{engine}.messages").MESSAGES["en"]:
            assert key not in seen, f"{key} in both {seen[key]} and {engine}"
            seen[key] = engine


if __name__ == "__main__":  # run by used_keys in a fresh interpreter
    print(json.dumps(sorted(scan_keys())))
