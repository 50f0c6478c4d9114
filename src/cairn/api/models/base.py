"""The bases of the reply models.

A reply model describes what an endpoint sends, for the OpenAPI document and the web UI's
generated types; it must never change the reply. So every reply model:

- keeps keys it does not declare (``extra="allow"``): a key a service adds is sent as before,
  not dropped by FastAPI's response-model filtering;
- sends only the keys the service gave: a field with a default is one the reply may leave
  out, and a reply that leaves it out still does (no ``null`` added).

``Reply`` does not advertise the undeclared keys (the document lists the declared ones, and
the generated TypeScript types have no index signature); ``Open`` does, for replies that carry
user-defined keys (record values, settings of a kind) or parts not described field by field.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer


def _closed(schema: dict[str, Any]) -> None:
    schema.pop("additionalProperties", None)


class Reply(BaseModel):
    """A reply object: declared keys typed, other keys passed through unchanged."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_closed)

    # No return annotation: the JSON schema stays the model's own.
    @model_serializer(mode="wrap")
    def _given_keys_only(self, handler: SerializerFunctionWrapHandler):
        data = handler(self)
        given = self.model_fields_set
        extra = self.model_extra or {}
        return {k: v for k, v in data.items() if k in given or k in extra}


class Open(Reply):
    """A reply object whose other keys are part of the contract (user-defined keys)."""

    model_config = ConfigDict(extra="allow", json_schema_extra=None)
