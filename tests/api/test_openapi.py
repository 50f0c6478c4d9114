"""The OpenAPI document states the replies the API sends: errors are problem+json."""

from __future__ import annotations

from typing import Any, cast

from cairn.api import create_app
from cairn.services import Services


def test_every_operation_documents_its_errors_as_problem_json() -> None:
    doc: dict[str, Any] = create_app(cast(Services, None)).openapi()
    assert "HTTPValidationError" not in doc.get("components", {}).get("schemas", {})
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "422" not in responses, (method, path)
            [media] = responses["4XX"]["content"]
            assert media == "application/problem+json", (method, path)
            schema = responses["4XX"]["content"][media]["schema"]
            assert {"type", "title", "status", "detail", "code"} <= set(schema["required"])
