"""The documented media types of the replies that are files, not JSON."""

from __future__ import annotations

from typing import Any

_BINARY = {"schema": {"type": "string", "format": "binary"}}
_TEXT = {"schema": {"type": "string"}}
#: An app package (the ``cairn.app/1`` format), in YAML or JSON: one object either way.
_PACKAGE = {"schema": {"type": "object", "additionalProperties": True}}

#: A report, dataset, widget or records export: CSV or XLSX (``format``).
SPREADSHEET: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file (``content-disposition: attachment``)",
        "content": {
            "text/csv": _TEXT,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _BINARY,
        },
    }
}

#: An app package: YAML, or JSON with ``?format=json``.
PACKAGE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The app package (``content-disposition: attachment`` for YAML)",
        "content": {"application/yaml": _PACKAGE, "application/json": _PACKAGE},
    }
}

#: A stored file, sent with the media type it was uploaded with.
STORED_FILE: dict[int | str, dict[str, Any]] = {
    200: {"description": "The file's content", "content": {"*/*": _BINARY}}
}
