"""The OpenAPI document describes every reply: each operation's success response has a
schema (a model, or the media types of a file), and a 204 has no body."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute
from starlette.responses import Response

from cairn.api.models.base import Open, Reply
from cairn.api.openapi_doc import document
from cairn.api.routers import records


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    doc = document()
    return [
        (method.upper(), path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
    ]


def test_every_success_reply_has_a_schema() -> None:
    undescribed = []
    for method, path, op in _operations():
        successes = {code: r for code, r in op["responses"].items() if code.startswith("2")}
        assert successes, (method, path)
        for code, reply in successes.items():
            content = reply.get("content", {})
            if code == "204":
                assert not content, (method, path)
                continue
            if not content or any(not media.get("schema") for media in content.values()):
                undescribed.append(f"{method} {path} {code}")
    assert not undescribed, "replies without a schema: " + ", ".join(undescribed)


def test_json_replies_are_named_models() -> None:
    """Object replies refer to a named model (a type the web UI imports), not an inline
    ``dict``)."""
    inline = []
    for method, path, op in _operations():
        for code, reply in op["responses"].items():
            schema = reply.get("content", {}).get("application/json", {}).get("schema")
            if code.startswith("2") and schema and "$ref" not in schema:
                inline.append(f"{method} {path}")
    # The counts per inbox are a map; an app package in JSON is the package format's own.
    assert sorted(inline) == ["GET /api/v1/apps/{app}/export", "GET /api/v1/tasks/counts"]


class _Sample(Reply):
    a: int
    b: str | None = None


class _OpenSample(Open):
    a: int


@pytest.mark.parametrize(
    ("model", "given"),
    [
        (_Sample, {"a": 1}),
        (_Sample, {"a": 1, "b": None}),
        (_Sample, {"a": 1, "later": [1, {"x": 2}]}),
        (_OpenSample, {"a": 1, "field_1": "value"}),
    ],
)
def test_a_reply_model_sends_the_keys_given_and_no_others(
    model: type[Reply], given: dict[str, Any]
) -> None:
    """Response-model filtering never drops a key a service added, nor adds a default."""
    assert model.model_validate(given).model_dump(mode="json") == given


def test_reply_models_advertise_extra_keys_only_when_open() -> None:
    assert "additionalProperties" not in _Sample.model_json_schema(mode="serialization")
    schema = _OpenSample.model_json_schema(mode="serialization")
    assert schema["additionalProperties"] is True


def test_record_routes_declare_a_model_for_their_direct_replies() -> None:
    """The hot record routes send pre-serialized JSON (a Response, which FastAPI does not
    validate again): their model is there for the document."""
    for route in records.router.routes:
        assert isinstance(route, APIRoute)
        if route.status_code != 204 and route.response_class is not Response:
            assert route.response_model is not None, route.path
