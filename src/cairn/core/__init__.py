"""The kernel: registry, errors, clock, settings, events and messages. Imports no other cairn module."""

from cairn.core.clock import (
    Clock,
    FrozenClock,
    OffsetClock,
    SystemClock,
    format_duration,
    parse_duration,
)
from cairn.core.errors import (
    CairnError,
    Conflict,
    FieldErrors,
    Forbidden,
    Invalid,
    Message,
    NotFound,
    TooLarge,
    TooManyRequests,
    Unauthenticated,
    Unsupported,
    msg,
)
from cairn.core.events import Event
from cairn.core.i18n import pick_language, render
from cairn.core.keys import MAX_ID, id_from_text, is_id, key_problem, slugify
from cairn.core.models import parse_model
from cairn.core.registry import Registry, RegistryError, TypeDef
from cairn.core.settings import Settings

__all__ = [
    "MAX_ID",
    "CairnError",
    "Clock",
    "Conflict",
    "Event",
    "FieldErrors",
    "Forbidden",
    "FrozenClock",
    "Invalid",
    "Message",
    "NotFound",
    "OffsetClock",
    "Registry",
    "RegistryError",
    "Settings",
    "SystemClock",
    "TooLarge",
    "TooManyRequests",
    "TypeDef",
    "Unauthenticated",
    "Unsupported",
    "format_duration",
    "id_from_text",
    "is_id",
    "key_problem",
    "msg",
    "parse_duration",
    "parse_model",
    "pick_language",
    "render",
    "slugify",
]
