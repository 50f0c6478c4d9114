"""Public forms (表单发布): what a form published at a public address offers a visitor, and
what a publication's settings may be (no database).

A public form offers the fields a visitor can fill in without seeing anything else of the
app: text, numbers, dates, a checkbox, choices, contacts and a location. It never offers a
relation or a user picker (either would list other records or the users), nor attachments
(an upload needs a place to put the file before the record exists, which a visitor may not
have), nor computed or system fields. A **signed link** may carry more: the value of a
relation or a user field (the customer a booking link is for), set by whoever made the link
and checked again when the form is sent.
"""

from __future__ import annotations

from typing import Any

from cairn.core import Invalid
from cairn.meta.fieldtypes import FieldType
from cairn.meta.model import Field

#: The field types a visitor fills in.
OFFERED_TYPES = frozenset(
    {
        "text",
        "long_text",
        "number",
        "currency",
        "percent",
        "rating",
        "date",
        "datetime",
        "email",
        "phone",
        "url",
        "vin",
        "id_number",
        "credit_code",
        "boolean",
        "single_select",
        "multi_select",
        "location",
    }
)
#: What a signed link may fill in besides: the record a relation links, a user.
PREFILL_TYPES = OFFERED_TYPES | {"relation", "user"}
#: The options a public form shows of a field (what its editor needs): never a default
#: formula, a relation's target, or whether the field is encrypted.
PUBLIC_OPTIONS = frozenset(
    {
        "choices",
        "decimals",
        "min",
        "max",
        "currency",
        "min_length",
        "max_length",
        "pattern",
        "region",
        "format",
    }
)

LANGUAGES = ("zh-CN", "en")
MAX_TITLE = 200
MAX_TEXT = 4000
#: Proof-of-work difficulty: leading zero bits of SHA-256 (16: ~65,000 hashes, about a
#: second in a browser's worker, while the visitor types).
MIN_DIFFICULTY, MAX_DIFFICULTY, DEFAULT_DIFFICULTY = 8, 24, 16
DEFAULT_MIN_FILL_SECONDS, MAX_MIN_FILL_SECONDS = 3, 3600
DEFAULT_MAX_BYTES, MIN_MAX_BYTES, MAX_MAX_BYTES = 32_768, 1024, 1_048_576
#: How long after it was issued a challenge may be answered (a long form, a slow typist).
CHALLENGE_SECONDS = 3 * 3600
#: A prefill link's longest life, and its default.
MAX_LINK_DAYS, DEFAULT_LINK_DAYS = 366, 30


def offered(f: Field, ft: FieldType) -> bool:
    """May a visitor fill in ``f``?"""
    return f.type in OFFERED_TYPES and ft.writable and f.deleted_at is None


def prefillable(f: Field, ft: FieldType) -> bool:
    """May a signed link fill in ``f``?"""
    return f.type in PREFILL_TYPES and ft.writable and f.deleted_at is None


def public_field(f: Field) -> dict[str, Any]:
    """A field as the public form shows it: what its editor needs and nothing more."""
    return {
        "key": f.key,
        "name": f.name,
        "type": f.type,
        "required": f.required,
        "help_text": f.help_text,
        "options": {k: v for k, v in f.options.items() if k in PUBLIC_OPTIONS},
    }


def empty_thank_you() -> dict[str, dict[str, str]]:
    """No text of one's own: the public page says its own thanks."""
    return {lang: {"title": "", "text": ""} for lang in LANGUAGES}


def check_thank_you(raw: Any, loc: str = "thank_you") -> dict[str, dict[str, str]]:
    """``{"zh-CN": {"title", "text"}, "en": {"title", "text"}}`` (either language, either
    text may be left out: empty)."""
    if raw is None:
        return empty_thank_you()
    if not isinstance(raw, dict) or set(raw) - set(LANGUAGES):
        raise Invalid.on(loc, "public_form.thank_you_shape")
    out = empty_thank_you()
    for lang, texts in raw.items():
        if not isinstance(texts, dict) or set(texts) - {"title", "text"}:
            raise Invalid.on(f"{loc}.{lang}", "public_form.thank_you_shape")
        for part, limit in (("title", MAX_TITLE), ("text", MAX_TEXT)):
            value = texts.get(part) or ""
            if not isinstance(value, str):
                raise Invalid.on(f"{loc}.{lang}.{part}", "value.text")
            if len(value) > limit:
                raise Invalid.on(f"{loc}.{lang}.{part}", "value.too_long", max=limit)
            out[lang][part] = value.strip()
    return out
