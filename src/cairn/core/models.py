"""Input parsed into a Pydantic model, its errors said in the catalogue's words (every engine
reads its JSON shapes this way)."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from cairn.core.errors import Invalid, Message

M = TypeVar("M", bound=BaseModel)


def parse_model(model: type[M], data: Any, prefix: str = "") -> M:
    """``data`` as ``model``, or an ``Invalid`` naming each bad location (in the catalogue's
    words: ``field.required``, or ``invalid.body`` carrying the validator's detail)."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as e:
        errors: dict[str, list[Message]] = {}
        for err in e.errors():
            loc = ".".join(str(x) for x in (prefix, *err["loc"]) if x != "") or "body"
            message = (
                Message("field.required")
                if err["type"] == "missing"
                else Message("invalid.body", {"detail": err["msg"]})
            )
            errors.setdefault(loc, []).append(message)
        raise Invalid("invalid.input", errors) from None
