"""Request-validation errors come in the caller's language, field by field (not Pydantic's
English text): a missing field, a bad type, a bound, an unexpected property."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

CASES = [
    # (body, field, English, Chinese)
    ({"name": "Ops", "position": "x"}, "position", "Expected a whole number.", "应为整数"),
    ({"name": "Ops", "position": -1}, "position", "Must be at least 0.", "0"),
    ({"position": 1}, "name", "This field is required.", "此字段为必填项。"),
]


@pytest.mark.parametrize(("body", "field", "en", "zh"), CASES)
def test_validation_errors_are_in_the_callers_language(
    client: TestClient, body: dict, field: str, en: str, zh: str
) -> None:
    for language, expected in (("en", en), ("zh-CN", zh)):
        r = client.post("/api/v1/departments", json=body, headers={"accept-language": language})
        assert r.status_code == 422, r.text
        errors = {e["field"]: e["message"] for e in r.json()["errors"]}
        assert field in errors, errors
        assert expected in errors[field], (language, errors)
    assert client.get("/api/v1/departments").json()["items"] == []


def test_an_unexpected_property_is_named_in_the_callers_language(client: TestClient) -> None:
    assert client.post("/api/v1/apps", json={"key": "crm", "name": "CRM"}).status_code == 201
    for language, expected in (
        ("en", "Unexpected property 'bogus'."),
        ("zh-CN", "不应有属性“bogus”。"),
    ):
        r = client.patch(
            "/api/v1/apps/crm",
            json={"name": "X", "bogus": 1},
            headers={"accept-language": language},
        )
        assert r.status_code == 422, r.text
        assert [(e["field"], e["message"]) for e in r.json()["errors"]] == [("bogus", expected)]
    assert client.get("/api/v1/apps/crm").json()["name"] == "CRM"
