"""The web UI's API types (web/src/api/schema.d.ts) are generated from the OpenAPI document:
regenerated here, they must equal the committed file (else: ``make api-types``)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from cairn.api.openapi_doc import write

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
GENERATED = WEB / "src" / "api" / "schema.d.ts"
GENERATOR = WEB / "node_modules" / ".bin" / "openapi-typescript"
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _generator_or_skip() -> list[str]:
    node = shutil.which("node")
    reason = None
    if node is None:
        reason = "node is not installed"
    elif not GENERATOR.exists():
        reason = "web/node_modules has no openapi-typescript (cd web && npm ci)"
    if reason is not None:
        if CI:
            pytest.fail(f"the API types cannot be checked under CI=true: {reason}")
        pytest.skip(reason)
    return [str(GENERATOR)]


def _options() -> list[str]:
    """The generator's options as ``npm run gen:api`` passes them (package.json)."""
    script = json.loads((WEB / "package.json").read_text(encoding="utf-8"))["scripts"]["gen:api"]
    words = shlex.split(script)
    assert words[:2] == ["openapi-typescript", "openapi.json"], script
    assert words[2:4] == ["-o", "src/api/schema.d.ts"], script
    return words[4:]


def test_generated_api_types_are_current(tmp_path: Path) -> None:
    command = _generator_or_skip()
    document = tmp_path / "openapi.json"
    write(document)
    out = tmp_path / "schema.d.ts"
    subprocess.run(
        [*command, str(document), "-o", str(out), *_options()],
        cwd=WEB,
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert GENERATED.exists(), "web/src/api/schema.d.ts is missing: run `make api-types`"
    assert out.read_text(encoding="utf-8") == GENERATED.read_text(encoding="utf-8"), (
        "web/src/api/schema.d.ts is stale (the OpenAPI document changed): run `make api-types` "
        "and commit the file"
    )
