"""Number field types: number (integer or decimal), currency, percent and rating."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, ClassVar

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, model_validator
from pydantic import Field as PField

from cairn.meta.fieldtypes.base import (
    ORDERED_OPS,
    BadValue,
    Coercer,
    Dumper,
    FieldContext,
    FieldType,
)
from cairn.meta.model import Field


class NumberOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decimals: int = PField(default=0, ge=0, le=8)
    min: float | None = PField(default=None, allow_inf_nan=False)
    max: float | None = PField(default=None, allow_inf_nan=False)

    @model_validator(mode="after")
    def _range(self) -> NumberOptions:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is greater than max")
        return self


class CurrencyOptions(NumberOptions):
    decimals: int = PField(default=2, ge=0, le=4)
    currency: str = PField(default="CNY", pattern=r"^[A-Z]{3}$")


class PercentOptions(NumberOptions):
    decimals: int = PField(default=2, ge=0, le=6)


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise BadValue("value.number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise BadValue("value.number")
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise BadValue("value.number")
        return value
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        try:
            d = Decimal(text)
        except InvalidOperation:
            raise BadValue("value.number") from None
        if not d.is_finite():
            raise BadValue("value.number")
        return d
    raise BadValue("value.number")


def number_coercer(
    decimals: int, lo: float | None, hi: float | None, scale: int = 0, int_digits: int = 20
) -> Coercer:
    """Input → int (decimals 0) or Decimal quantised to ``decimals + scale`` places.

    ``int_digits`` is how many digits the column holds before the point (decimal columns).
    """
    places = decimals + scale
    quantum = Decimal(1).scaleb(-places)
    limit = Decimal(10) ** int_digits
    int_max = min(2**63 - 1, 10**int_digits - 1)  # a BigInteger, or Numeric(18, 0) for currency
    lo_d = Decimal(repr(lo)) if lo is not None else None
    hi_d = Decimal(repr(hi)) if hi is not None else None

    def coerce(value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if type(value) is int and places == 0:
            d = None
            number: Any = value
        else:
            d = _to_decimal(value)
            if places == 0:
                if d != d.to_integral_value():
                    raise BadValue("value.integer")
                number = d  # made an int after the range checks: int(1e999999999) never ends
            else:
                if not -limit < d < limit:
                    raise BadValue("value.max", max=str(limit - quantum))
                # Exact when the value has at most ``places`` decimals (1.50 for one place
                # too): a value that changes when quantised has too many.
                number = d.quantize(quantum, rounding=ROUND_HALF_UP)
                if number != d:
                    raise BadValue("value.precision", places=decimals)
        check = number if d is None else d
        if lo_d is not None and check < lo_d:
            raise BadValue("value.min", min=lo)
        if hi_d is not None and check > hi_d:
            raise BadValue("value.max", max=hi)
        if places == 0:
            if not -int_max <= number <= int_max:
                raise BadValue("value.max", max=int_max)
            number = int(number)
        return number

    return coerce


def _integral(d: Decimal) -> Any:
    """An int for a whole number a 64-bit column can hold; the Decimal otherwise."""
    return int(d) if -(2**63) <= d < 2**63 and d == d.to_integral_value() else d


def number_dumper(places: int) -> Dumper | None:
    if places == 0:

        def dump_int(value: Any) -> Any:
            return None if value is None else int(value)

        return dump_int

    def dump(value: Any) -> Any:
        if value is None:
            return None
        f = float(value)
        return int(f) if f.is_integer() and abs(f) < 2**53 else f

    return dump


class NumberType(FieldType):
    key = "number"
    value_type = "number"
    formula_column = "number"
    Options: ClassVar = NumberOptions
    operators = ORDERED_OPS
    indexed = True
    scale = 0

    def column_type(self, field: Field) -> sa.types.TypeEngine:
        places = self.opts(field).decimals + self.scale
        if places == 0:
            return sa.BigInteger()
        return sa.Numeric(20 + places, places, asdecimal=True)

    def coercer(self, field: Field, ctx: FieldContext) -> Coercer:
        o = self.opts(field)
        column = self.column_type(field)
        int_digits = column.precision - column.scale if isinstance(column, sa.Numeric) else 20
        return number_coercer(o.decimals, o.min, o.max, self.scale, int_digits)

    def operand(self, field: Field, ctx: FieldContext) -> Coercer:
        o = self.opts(field)
        places = o.decimals + self.scale

        def coerce(value: Any) -> Any:
            d = _to_decimal(value)
            return _integral(d) if places == 0 else d

        return coerce

    def dumper(self, field: Field, ctx: FieldContext) -> Dumper | None:
        return number_dumper(self.opts(field).decimals + self.scale)

    def convertible_from(self, source: FieldType) -> bool:
        return source.value_type in {"number", "text", "boolean", "choice"}


class CurrencyType(NumberType):
    key = "currency"
    Options: ClassVar = CurrencyOptions

    def column_type(self, field: Field) -> sa.types.TypeEngine:
        return sa.Numeric(18, self.opts(field).decimals, asdecimal=True)


class PercentType(NumberType):
    """Stored as a fraction (12.5% is 0.125); input takes 0.125 or "12.5%"."""

    key = "percent"
    Options: ClassVar = PercentOptions
    scale = 2
    # Filter formulas read a percent through the full path, not the bare column (as before).
    formula_column = None

    def coercer(self, field: Field, ctx: FieldContext) -> Coercer:
        base = super().coercer(field, ctx)

        def coerce(value: Any) -> Any:
            if isinstance(value, str) and value.strip().endswith("%"):
                try:
                    value = _to_decimal(value.strip()[:-1]) / 100
                except ArithmeticError:  # decimal.Overflow on "1e999999999%"
                    raise BadValue("value.number") from None
            return base(value)

        return coerce


class RatingOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max: int = PField(default=5, ge=1, le=10)


class RatingType(FieldType):
    key = "rating"
    value_type = "number"
    formula_column = "number"
    Options: ClassVar = RatingOptions
    operators = ORDERED_OPS
    indexed = False  # five values at most
    supports_unique = False

    def column_type(self, field: Field) -> sa.types.TypeEngine:
        return sa.SmallInteger()

    def coercer(self, field: Field, ctx: FieldContext) -> Coercer:
        hi = self.opts(field).max

        def coerce(value: Any) -> Any:
            if value is None or value == "":
                return None
            try:
                d = _to_decimal(value)
            except BadValue:
                raise BadValue("value.rating", max=hi) from None
            if d != d.to_integral_value() or not 1 <= d <= hi:
                raise BadValue("value.rating", max=hi)
            return int(d)

        return coerce

    def operand(self, field: Field, ctx: FieldContext) -> Coercer:
        return lambda v: _integral(_to_decimal(v))

    def convertible_from(self, source: FieldType) -> bool:
        return source.value_type in {"number", "text"}


def register(registry: Any) -> None:
    for t in (NumberType(), CurrencyType(), PercentType(), RatingType()):
        registry.register(t)
