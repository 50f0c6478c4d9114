"""Contact field types: email, phone (E.164 via phonenumbers) and url."""

from __future__ import annotations

import functools
import re
from typing import Any, ClassVar
from urllib.parse import urlsplit

import phonenumbers
import sqlalchemy as sa
from phonenumbers import PhoneMetadata
from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField

from cairn.meta.fieldtypes.base import TEXT_OPS, BadValue, Coercer, FieldContext, FieldType
from cairn.meta.model import Field

EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
#: "javascript:…", "mailto:…", "https://…": a scheme, unlike "localhost:8080" (a port follows).
SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(?!\d)")


def _text(value: Any, error: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadValue(error, value=value)
    value = value.strip()
    return value or None


class EmailType(FieldType):
    key = "email"
    value_type = "text"
    operators = TEXT_OPS
    indexed = True
    encryptable = True

    def index_text(self, value: str) -> str:
        return value.lower()

    def column_type(self, field: Field) -> sa.types.TypeEngine:
        return sa.String(254)

    def coercer(self, field: Field, ctx: FieldContext) -> Coercer:
        def coerce(value: Any) -> str | None:
            text = _text(value, "value.email")
            if text is None:
                return None
            if len(text) > 254 or not EMAIL_RE.match(text):
                raise BadValue("value.email", value=text)
            local, _, domain = text.rpartition("@")
            return f"{local}@{domain.lower()}"

        return coerce

    def operand(self, field: Field, ctx: FieldContext) -> Coercer:
        return lambda v: str(v).strip()


class PhoneOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    region: str | None = PField(default=None, pattern=r"^[A-Z]{2}$")


_SEPARATORS = re.compile(r"[\s\-().]")
_DIGITS = re.compile(r"^(\+|00)?(\d{6,17})$")


@functools.lru_cache(maxsize=64)
def _mobile_matcher(region: str) -> tuple[str, re.Pattern[str], re.Pattern[str]] | None:
    """For a region alone in its country code: (code, general pattern, mobile pattern)."""
    meta = PhoneMetadata.metadata_for_region(region)
    if meta is None or meta.mobile is None or meta.mobile.national_number_pattern is None:
        return None
    code = str(meta.country_code)
    if len(phonenumbers.region_codes_for_country_code(meta.country_code)) != 1:
        return None
    general = meta.general_desc.national_number_pattern
    return (
        code,
        re.compile(f"(?:{general})"),
        re.compile(f"(?:{meta.mobile.national_number_pattern})"),
    )


def _fast_mobile(text: str, region: str) -> str | None:
    """E.164 for the common case, a plain mobile number with or without its country code,
    decided by phonenumbers' own metadata patterns; None sends the text to the full parser."""
    m = _DIGITS.match(_SEPARATORS.sub("", text))
    matcher = _mobile_matcher(region)
    if m is None or matcher is None:
        return None
    code, general, mobile = matcher
    digits = m.group(2)
    if m.group(1):
        if not digits.startswith(code):
            return None
        digits = digits[len(code) :]
    if digits.startswith("0") or not (general.fullmatch(digits) and mobile.fullmatch(digits)):
        return None
    return f"+{code}{digits}"


def normalise_phone(text: str, region: str) -> str:
    """E.164 for a valid number; raises BadValue otherwise."""
    fast = _fast_mobile(text, region)
    if fast is not None:
        return fast
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise BadValue("value.phone", value=text) from None
    if not phonenumbers.is_valid_number(number):
        raise BadValue("value.phone", value=text)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class PhoneType(FieldType):
    key = "phone"
    value_type = "text"
    Options: ClassVar = PhoneOptions
    operators = TEXT_OPS
    indexed = True
    encryptable = True  # coerced to E.164, so the blind index matches however it was typed

    def column_type(self, field: Field) -> sa.types.TypeEngine:
        return sa.String(32)

    def coercer(self, field: Field, ctx: FieldContext) -> Coercer:
        region = self.opts(field).region or ctx.region

        def coerce(value: Any) -> str | None:
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            text = _text(value, "value.phone")
            if text is None:
                return None
            if len(text) > 40:
                raise BadValue("value.phone", value=text[:40])
            return normalise_phone(text, region)

        return coerce

    def operand(self, field: Field, ctx: FieldContext) -> Coercer:
        """A full number matches in E.164; a fragment ("1380013") stays as typed for contains."""
        region = self.opts(field).region or ctx.region

        def coerce(value: Any) -> str:
            text = str(value).strip()
            try:
                return normalise_phone(text, region)
            except BadValue:
                return text

        return coerce


class UrlType(FieldType):
    key = "url"
    value_type = "text"
    operators = TEXT_OPS

    def column_type(self, field: Field) -> sa.types.TypeEngine:
        return sa.String(2048)

    def coercer(self, field: Field, ctx: FieldContext) -> Coercer:
        def coerce(value: Any) -> str | None:
            text = _text(value, "value.url")
            if text is None:
                return None
            if not SCHEME_RE.match(text):
                text = "https://" + text
            try:
                parts = urlsplit(text)  # ValueError on "https://[", an unclosed IPv6 host
                parts.port  # noqa: B018 - raises ValueError for a port that is no number
            except ValueError:
                raise BadValue("value.url", value=value) from None
            if (
                len(text) > 2048
                or parts.scheme not in ("http", "https")
                or not parts.hostname
                or any(c.isspace() for c in text)
            ):
                raise BadValue("value.url", value=value)
            return text

        return coerce

    def operand(self, field: Field, ctx: FieldContext) -> Coercer:
        return lambda v: str(v).strip()


def register(registry: Any) -> None:
    for t in (EmailType(), PhoneType(), UrlType()):
        registry.register(t)
