"""Contact field types: email, phone (E.164 via phonenumbers, ``core.idkeys.mobile``) and url."""

from __future__ import annotations

import re
from typing import Any, ClassVar
from urllib.parse import urlsplit

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField

from cairn.core.idkeys import KeyRefused, email, mobile
from cairn.meta.fieldtypes.base import TEXT_OPS, BadValue, Coercer, FieldContext, FieldType
from cairn.meta.model import Field

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
    key_kinds = frozenset({"email"})
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
            try:
                email.check(text)
            except KeyRefused as e:
                raise BadValue(e.rule, **e.params) from None
            local, _, domain = text.rpartition("@")
            return f"{local}@{domain.lower()}"

        return coerce

    def operand(self, field: Field, ctx: FieldContext) -> Coercer:
        return lambda v: str(v).strip()


class PhoneOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    region: str | None = PField(default=None, pattern=r"^[A-Z]{2}$")


def normalise_phone(text: str, region: str) -> str:
    """E.164 for a valid number; raises BadValue otherwise (the rule: ``core.idkeys.mobile``)."""
    try:
        return mobile.normalise_phone(text, region)
    except KeyRefused as e:
        raise BadValue(e.rule, **e.params) from None


class PhoneType(FieldType):
    key = "phone"
    value_type = "text"
    key_kinds = frozenset({"mobile"})
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
