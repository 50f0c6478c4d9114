"""Key field types: vin (车辆识别代号), id_number (居民身份证号), credit_code (统一社会信用代码).

Each stores the canonical text of its key (``cairn.core.idkeys``): every write path (API,
bulk, forms, import) goes through the coercer, so a bad check character is refused with the
rule it breaks and a good key is stored one way however it was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import sqlalchemy as sa

from cairn.core.idkeys import KINDS, KeyRefused
from cairn.meta.fieldtypes.base import TEXT_OPS, BadValue, Coercer, FieldContext, FieldType
from cairn.meta.model import Field


def key_coercer(normalise: Callable[[str], str]) -> Coercer:
    """Blank stays blank; a key comes back canonical or raises BadValue naming its rule."""

    def coerce(value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise BadValue("value.text")
        text = str(value)
        if not text.strip():
            return None
        try:
            return normalise(text)
        except KeyRefused as e:
            raise BadValue(e.rule, **e.params) from None

    return coerce


def key_operand(normalise: Callable[[str], str]) -> Coercer:
    """A whole key matches canonically; a fragment ("LSV") stays as typed, upper case."""

    def coerce(value: Any) -> str:
        text = str(value).strip()
        try:
            return normalise(text)
        except KeyRefused:
            return text.upper()

    return coerce


class KeyFieldType(FieldType):
    """A text column holding one kind of identity key. A subclass names only its kind and the
    length of its canonical text (``class VinType(KeyFieldType, kind="vin", length=17)``):
    the type's key, the key kind it offers and its normaliser (``cairn.core.idkeys.KINDS``)
    follow from the kind, so the three types cannot drift apart."""

    value_type = "text"
    operators = TEXT_OPS
    indexed = True
    encryptable = True
    #: The kind in ``cairn.core.idkeys.KINDS`` and its longest canonical text.
    kind: ClassVar[str]
    length: ClassVar[int]
    normalise: ClassVar[Callable[[str], str]]

    def __init_subclass__(cls, *, kind: str, length: int, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.key = cls.kind = kind
        cls.key_kinds = frozenset({kind})
        cls.length = length
        cls.normalise = staticmethod(KINDS[kind])

    def column_type(self, field: Field) -> sa.types.TypeEngine:
        return sa.String(self.length)

    def coercer(self, field: Field, ctx: FieldContext) -> Coercer:
        return key_coercer(type(self).normalise)

    def operand(self, field: Field, ctx: FieldContext) -> Coercer:
        return key_operand(type(self).normalise)


class VinType(KeyFieldType, kind="vin", length=17):
    """车辆识别代号: 17 characters (the rules: ``cairn.core.idkeys.vin``)."""


class IdNumberType(KeyFieldType, kind="id_number", length=18):
    """居民身份证号: 18 characters (the rules: ``cairn.core.idkeys.id_number``)."""


class CreditCodeType(KeyFieldType, kind="credit_code", length=18):
    """统一社会信用代码: 18 characters (the rules: ``cairn.core.idkeys.credit_code``)."""


def register(registry: Any) -> None:
    for t in (VinType(), IdNumberType(), CreditCodeType()):
        registry.register(t)
