"""The error tree shared by every layer.

Domain code raises these; the HTTP edge maps them to RFC 9457 problems in one table
(``cairn.api.problems``). Messages are catalogue keys plus parameters so the edge can render
them in the caller's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Message:
    """A translatable message: a catalogue key and its parameters."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


def msg(key: str, **params: Any) -> Message:
    return Message(key, params)


class CairnError(Exception):
    """Base of every error Cairn raises on purpose."""

    status = 400
    code = "error"

    def __init__(self, message: Message | str, **params: Any) -> None:
        self.message = message if isinstance(message, Message) else Message(message, params)
        super().__init__(self.message.key)

    def __str__(self) -> str:
        return (
            f"{self.message.key} {self.message.params}" if self.message.params else self.message.key
        )


class NotFound(CairnError):
    status = 404
    code = "not_found"


class Conflict(CairnError):
    status = 409
    code = "conflict"


class Forbidden(CairnError):
    status = 403
    code = "forbidden"


class Unauthenticated(CairnError):
    """No valid session or token (HTTP 401)."""

    status = 401
    code = "unauthenticated"


class TooManyRequests(CairnError):
    """Rate limited; ``retry_after`` is in seconds (HTTP 429 with Retry-After)."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: Message | str, retry_after: int, **params: Any) -> None:
        super().__init__(message, **params)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


class TooLarge(CairnError):
    """A request body larger than what it is sent to accepts (HTTP 413)."""

    status = 413
    code = "too_large"


class Unsupported(CairnError):
    status = 422
    code = "unsupported"


class Invalid(CairnError):
    """Bad input. ``field_errors`` maps a location (a field key, or ``records.3.phone``) to messages."""

    status = 422
    code = "invalid"

    def __init__(
        self,
        message: Message | str = "invalid.input",
        field_errors: dict[str, list[Message]] | None = None,
        **params: Any,
    ) -> None:
        super().__init__(message, **params)
        self.field_errors: dict[str, list[Message]] = field_errors or {}

    @classmethod
    def on(cls, location: str, message_key: str, /, **params: Any) -> Invalid:
        """An error about one field."""
        return cls("invalid.input", {location: [Message(message_key, params)]})

    def under(self, location: str) -> Invalid:
        """The same error said about a part of a larger body: every location prefixed with
        ``location.`` (an error without locations lands at ``location`` itself)."""
        return Invalid(
            "invalid.input",
            {f"{location}.{k}": v for k, v in self.field_errors.items()}
            or {location: [self.message]},
        )


class FieldErrors:
    """Collects field errors across many values, raising once at the end."""

    def __init__(self) -> None:
        self.errors: dict[str, list[Message]] = {}

    def add(self, location: str, message: Message) -> None:
        self.errors.setdefault(location, []).append(message)

    def merge(self, prefix: str, error: Invalid) -> None:
        for loc, messages in error.field_errors.items():
            for m in messages:
                self.add(f"{prefix}{loc}", m)
        if not error.field_errors:
            self.add(prefix.rstrip("."), error.message)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise Invalid("invalid.input", self.errors)
