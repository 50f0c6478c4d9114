"""Text field types: text (one line) and long_text."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any, ClassVar

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from pydantic import Field as PField

from cairn.core.idkeys import KINDS, KeyRefused, mobile
from cairn.meta.fieldtypes.base import TEXT_OPS, BadValue, Coercer, FieldContext, FieldType
from cairn.meta.model import Field


class TextOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_length: int | None = PField(default=None, ge=0, le=100_000)
    max_length: int = PField(default=255, ge=1, le=100_000)
    pattern: str | None = PField(default=None, max_length=500)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str | None) -> str | None:
        if v:
            try:
                re.compile(v)
            except re.error as e:
                raise ValueError(f"not a valid regular expression: {e}") from None
        return v or None

    @model_validator(mode="after")
    def _range(self) -> TextOptions:
        if self.min_length is not None and self.min_length > self.max_length:
            raise ValueError("min_length is greater than max_length")
        return self


class LongTextOptions(TextOptions):
    max_length: int = PField(default=100_000, ge=1, le=1_000_000)


def text_coercer(options: TextOptions) -> Coercer:
    max_len = options.max_length
    min_len = options.min_length
    pattern = re.compile(options.pattern) if options.pattern else None

    def coerce(value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise BadValue("value.text")
        text = str(value)
        if text.strip() == "":
            return None
        if len(text) > max_len:
            raise BadValue("value.too_long", max=max_len)
        if min_len is not None and len(text) < min_len:
            raise BadValue("value.too_short", min=min_len)
        if pattern is not None and not pattern.fullmatch(text):
            raise BadValue("value.pattern", pattern=pattern.pattern)
        return text

    return coerce


def key_normaliser(kind: str, ctx: FieldContext) -> Callable[[str], str]:
    return partial(mobile.normalise, region=ctx.region) if kind == "mobile" else KINDS[kind]


def keyed(coerce: Coercer, kind: str, ctx: FieldContext) -> Coercer:
    """``coerce``, then the identity key's normaliser: a text field marked as a passport,
    plate … key stores each key one way and refuses what is none."""
    normalise = key_normaliser(kind, ctx)

    def coerce_key(value: Any) -> str | None:
        text = coerce(value)
        if text is None:
            return None
        try:
            return normalise(text)
        except KeyRefused as e:
            raise BadValue(e.rule, **e.params) from None

    return coerce_key


class TextType(FieldType):
    key = "text"
    indexed = True
    encryptable = True
    value_type = "text"
    Options: ClassVar = TextOptions
    operators = TEXT_OPS
    key_kinds = frozenset(KINDS)

    def column_type(self, field: Field) -> sa.types.TypeEngine:
        return sa.String(self.opts(field).max_length)

    def coercer(self, field: Field, ctx: FieldContext) -> Coercer:
        coerce = text_coercer(self.opts(field))
        kind = self.identity_key(field)
        return keyed(coerce, kind, ctx) if kind else coerce

    def operand(self, field: Field, ctx: FieldContext) -> Coercer:
        kind = self.identity_key(field)
        normalise = key_normaliser(kind, ctx) if kind else None

        def coerce(value: Any) -> Any:
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise BadValue("value.text")
            if normalise is not None:  # a whole key matches as stored; a fragment as typed
                try:
                    return normalise(str(value))
                except KeyRefused:
                    pass
            return str(value)

        return coerce


class LongTextType(TextType):
    key = "long_text"
    groupable = False
    indexed = False  # free text: searched with contains, which no index serves
    Options: ClassVar = LongTextOptions
    key_kinds = frozenset()
    sortable = False
    supports_unique = False

    def column_type(self, field: Field) -> sa.types.TypeEngine:
        return sa.Text()


def register(registry: Any) -> None:
    registry.register(TextType())
    registry.register(LongTextType())
