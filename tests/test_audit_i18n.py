"""Every audit action code the server writes reads as words on the audit page, in zh-CN and en
(``audit.actions.<prefix>.<verb>`` in web/src/i18n/*.json; web/src/pages/admin/auditText.ts)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from cairn.auth.audit import ACTIONS
from cairn.services.process import ACTIONS as TASK_ACTIONS

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "cairn"
I18N = ROOT / "web" / "src" / "i18n"

#: Codes built at run time, by the pattern as written in the source, and what each yields.
DYNAMIC = {
    'f"record.{action}"': {"record.update", "record.delete", "record.restore"},
    'f"task.{action}"': {f"task.{a}" for a in TASK_ACTIONS},
    "f\"process.{'withdraw' if status == 'withdrawn' else 'cancel'}\"": {
        "process.withdraw",
        "process.cancel",
    },
    "action": {"user.update", "permission.change"},  # directory.py: Entry(action, "user", …)
}


def written_codes() -> set[str]:
    """The first argument of every ``Entry(...)`` in the package: literal codes as they are,
    patterns through ``DYNAMIC`` (an unknown pattern fails: add it there and translate it)."""
    codes: set[str] = set()
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for arg in re.findall(r"\bEntry\(\s*([^,\n]+),", text):
            arg = arg.strip()
            literal = re.fullmatch(r'"([a-z_]+\.[a-z_]+)"', arg)
            if literal:
                codes.add(literal.group(1))
            else:
                assert arg in DYNAMIC, f"{path.name}: audit code {arg} (add it to DYNAMIC)"
                codes |= DYNAMIC[arg]
    return codes


def test_the_source_scan_finds_the_codes() -> None:
    codes = written_codes()
    assert {"record.create", "record.update", "auth.login", "task.approve"} <= codes
    assert len(codes) > 40


def test_every_written_action_code_is_translated_in_both_languages() -> None:
    # What Entry(...) calls write, and what the configuration tracker writes (its codes are
    # composed at run time; cairn.auth.audit.ACTIONS lists them, checked against the code by
    # tests/api/test_config_audit.py).
    codes = written_codes() | set(ACTIONS)
    for lang in ("zh-CN", "en"):
        actions = json.loads((I18N / f"{lang}.json").read_text(encoding="utf-8"))["audit"][
            "actions"
        ]
        missing = {c for c in codes if c.split(".", 1)[1] not in actions.get(c.split(".")[0], {})}
        assert not missing, (lang, sorted(missing))
        for prefix, verbs in actions.items():
            for verb, text in verbs.items():
                assert text and text != f"{prefix}.{verb}", (lang, prefix, verb)
