"""Location: a point (lat, lng) with an optional address."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from cairn.meta.fieldtypes.base import EMPTY_OPS, BadValue, Coercer, Dumper, FieldContext, FieldType
from cairn.meta.model import Field


class LocationType(FieldType):
    key = "location"
    groupable = False
    value_type = "json"
    operators = EMPTY_OPS
    sortable = False
    supports_unique = False

    def column_type(self, field: Field) -> sa.types.TypeEngine:
        return sa.Text()

    def coercer(self, field: Field, ctx: FieldContext) -> Coercer:
        def coerce(value: Any) -> str | None:
            if value is None:
                return None
            if not isinstance(value, dict) or set(value) - {"lat", "lng", "address"}:
                raise BadValue("value.location")
            lat, lng = value.get("lat"), value.get("lng")
            if (
                isinstance(lat, bool)
                or isinstance(lng, bool)
                or not isinstance(lat, int | float)
                or not isinstance(lng, int | float)
                or not -90 <= lat <= 90
                or not -180 <= lng <= 180
            ):
                raise BadValue("value.location")
            address = value.get("address")
            if address is not None and (not isinstance(address, str) or len(address) > 500):
                raise BadValue("value.location")
            out: dict[str, Any] = {"lat": float(lat), "lng": float(lng)}
            if address:
                out["address"] = address
            return json.dumps(out, ensure_ascii=False)

        return coerce

    def dumper(self, field: Field, ctx: FieldContext) -> Dumper | None:
        return lambda v: None if not v else json.loads(v)

    def convertible_from(self, source: FieldType) -> bool:
        return source.key == "location"


def register(registry: Any) -> None:
    registry.register(LocationType())
