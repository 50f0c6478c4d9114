"""Date and datetime field types. Datetimes are stored as naive UTC and shown in the configured zone."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, ClassVar

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict

from cairn.meta.fieldtypes.base import (
    DATE_OPS,
    BadValue,
    Coercer,
    Dumper,
    FieldContext,
    FieldType,
)
from cairn.meta.model import Field


class DateOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: str = "YYYY-MM-DD"


class DateTimeOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: str = "YYYY-MM-DD HH:mm"


def parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return date.fromisoformat(text)
            return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
        except ValueError:
            pass
    raise BadValue("value.date")


def parse_datetime(value: Any, tz: Any) -> datetime:
    """Any ISO 8601 text → naive UTC; text without an offset is read in ``tz``."""
    if isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value)
        except ValueError:
            try:
                dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                raise BadValue("value.datetime") from None
    elif isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    else:
        raise BadValue("value.datetime")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    offset = dt.utcoffset()
    if 1 < dt.year < 9999 and offset is not None and not offset.microseconds:
        # What astimezone(UTC) and replace() compute, without their cost (a bulk load parses
        # thousands): far from the ends of the calendar nothing can overflow.
        return datetime(dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second) - offset
    try:
        dt.astimezone(tz)  # shown in tz when read: 9999-12-31T20:00Z is no datetime in +08:00
        utc = dt.astimezone(UTC)
    except OverflowError:
        raise BadValue("value.datetime") from None
    # The API shows whole seconds, so store whole seconds: what a reader sees is what a filter matches.
    return utc.replace(tzinfo=None, microsecond=0)


class DateType(FieldType):
    key = "date"
    value_type = "date"
    formula_column = "date"
    Options: ClassVar = DateOptions
    operators = DATE_OPS
    indexed = True

    def column_type(self, field: Field) -> sa.types.TypeEngine:
        return sa.Date()

    def coercer(self, field: Field, ctx: FieldContext) -> Coercer:
        def coerce(value: Any) -> date | None:
            if value is None or value == "":
                return None
            return parse_date(value)

        return coerce

    def dumper(self, field: Field, ctx: FieldContext) -> Dumper | None:
        def dump(value: Any) -> Any:
            if value is None:
                return None
            if isinstance(value, str):  # a raw driver value
                return value[:10]
            return value.isoformat()

        return dump

    def convertible_from(self, source: FieldType) -> bool:
        return source.value_type in {"date", "datetime", "text"}


class DateTimeType(FieldType):
    key = "datetime"
    value_type = "datetime"
    Options: ClassVar = DateTimeOptions
    operators = DATE_OPS
    indexed = True

    def column_type(self, field: Field) -> sa.types.TypeEngine:
        return sa.DateTime()

    def coercer(self, field: Field, ctx: FieldContext) -> Coercer:
        tz = ctx.timezone

        def coerce(value: Any) -> datetime | None:
            if value is None or value == "":
                return None
            return parse_datetime(value, tz)

        return coerce

    def dumper(self, field: Field, ctx: FieldContext) -> Dumper | None:
        tz = ctx.timezone
        return lambda v: None if v is None else dump_datetime(v, tz)

    def convertible_from(self, source: FieldType) -> bool:
        return source.value_type in {"date", "datetime", "text"}


def dump_datetime(value: datetime, tz: Any) -> str:
    """Naive UTC (or aware) → ISO 8601 in ``tz``, to the second. On the read path of every
    page, so the zone's offset is looked up once per hour of UTC time and cached."""
    if value.__class__ is datetime and value.tzinfo is None:  # as read from the database
        offset, suffix = _zone_at(tz, value.toordinal() * 24 + value.hour)
        if not value.microsecond:  # field values are whole seconds: the faster isoformat()
            return (value + offset).isoformat() + suffix
        return (value + offset).isoformat(timespec="seconds") + suffix
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    if value.microsecond:
        value = value.replace(microsecond=0)
    offset, suffix = _zone_at(tz, value.toordinal() * 24 + value.hour)
    return (value + offset).isoformat() + suffix


def dump_datetimes(values: Iterable[Any], tz: Any) -> list[str | None]:
    """``dump_datetime`` over a column of a page, without a call per value: a value equal to
    the one before (records made together) is formatted once, the zone is looked up once per
    UTC hour of the column."""
    out: list[str | None] = []
    append = out.append
    last: Any = None
    text: str | None = None
    hour = -1
    offset, suffix = timedelta(0), ""
    for v in values:
        if v is None:
            append(None)
        elif v == last:
            append(text)
        elif v.__class__ is datetime and v.tzinfo is None and not v.microsecond:
            h = v.toordinal() * 24 + v.hour
            if h != hour:
                offset, suffix = _zone_at(tz, h)
                hour = h
            last, text = v, (v + offset).isoformat() + suffix
            append(text)
        else:
            last, text = v, dump_datetime(v, tz)
            append(text)
    return out


@functools.lru_cache(maxsize=8192)
def _zone_at(tz: Any, utc_hours: int) -> tuple[timedelta, str]:
    """(offset, "+08:00") of ``tz`` during one UTC hour counted from 0001-01-01."""
    day, hour = divmod(utc_hours, 24)
    at = datetime.fromordinal(day).replace(hour=hour, tzinfo=UTC).astimezone(tz)
    offset = at.utcoffset() or timedelta(0)
    suffix = datetime(2000, 1, 1, tzinfo=timezone(offset)).isoformat()[19:]
    return offset, suffix


def register(registry: Any) -> None:
    registry.register(DateType())
    registry.register(DateTimeType())
