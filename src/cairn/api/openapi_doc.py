"""The OpenAPI document without a server: ``python -m cairn.api.openapi_doc OUT.json``.

``make api-types`` writes it for ``openapi-typescript``, which generates the web UI's types
(``web/src/api/schema.d.ts``); ``tests/api/test_api_types.py`` checks that file is current.
The document is the one a default instance publishes at ``/openapi.json`` (no services: the
routes of optional settings, such as the test clock, are not in it).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, cast

from cairn.api.app import create_app
from cairn.services import Services


def document() -> dict[str, Any]:
    """The OpenAPI document of the API, as ``/openapi.json`` serves it."""
    return create_app(cast(Services, None)).openapi()


def write(path: Path) -> None:
    path.write_text(json.dumps(document(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write(Path(sys.argv[1] if len(sys.argv) > 1 else "openapi.json"))
