"""Relation, lookup and rollup.

A relation field stores its links in a junction table ``j_<field id>`` (source record, target
record). Its reverse side is a paired relation field on the target table sharing that junction
(``reverse_of``). ``multiple`` on each side sets the cardinality: a single forward side with a
multiple reverse side is one-to-many; both multiple is many-to-many.

Lookup shows a field of the related record(s); rollup aggregates a field over them. Both are
computed in SQL when records are read, so filters and sorts on them are pushed down.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField

from cairn.meta.fieldtypes.base import (
    EMPTY_OPS,
    ORDERED_OPS,
    BadValue,
    Coercer,
    FieldContext,
    FieldType,
)
from cairn.meta.model import Field


class FillPair(BaseModel):
    """Choosing a linked record copies its field ``from`` into this table's field ``to``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    source: int = PField(alias="from")
    target: int = PField(alias="to")


class RelationOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    target_table_id: int
    multiple: bool = True
    #: Set on the reverse side: the id of the field that owns the junction table.
    reverse_of: int | None = None
    #: Set on the owning side: the id of its reverse field.
    reverse_field_id: int | None = None
    #: Data linkage of a single relation (``cairn.query.datalink``): field ids; absent if none.
    fill: list[FillPair] | None = PField(default=None, max_length=50)


def junction_name(field: Field) -> str:
    owner = field.options.get("reverse_of") or field.id
    return f"j_{owner}"


def junction_sides(field: Field) -> tuple[str, str]:
    """(this side's column, the other side's column) in the junction table."""
    return ("dst_id", "src_id") if field.options.get("reverse_of") else ("src_id", "dst_id")


def _record_id(value: Any) -> int:
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, bool):
        raise BadValue("value.relation")
    if isinstance(value, str) and value.strip().isdecimal() and len(value.strip()) <= 19:
        value = int(value)  # isdecimal: int() takes every such text ("²" is a digit it refuses)
    if not isinstance(value, int) or not 0 < value < 2**63:
        raise BadValue("value.relation")
    return value


class RelationType(FieldType):
    key = "relation"
    derived_from = "relation"
    value_type = "relation"
    Options: ClassVar = RelationOptions
    stored = False
    sortable = False
    supports_unique = False
    operators = frozenset({"contains", "in", "not_in", "is_empty", "is_not_empty"})
    references = "record"

    def validate_options(self, raw: dict[str, Any] | None, previous: Field | None = None) -> dict:
        """Without a fill the options are what they always were (no ``fill`` key)."""
        out = super().validate_options(raw, previous)
        if out.get("fill"):
            out["fill"] = [{"from": p["source"], "to": p["target"]} for p in out["fill"]]
        else:
            out.pop("fill", None)
        return out

    def coercer(self, field: Field, ctx: FieldContext) -> Coercer:
        """Input → a list of distinct target ids (the store replaces the links with them)."""
        multiple = bool(field.options.get("multiple", True))

        def coerce(value: Any) -> list[int]:
            if value is None or value == "":
                return []
            items = value if isinstance(value, list) else [value]
            ids: list[int] = []
            for item in items:
                rid = _record_id(item)
                if rid not in ids:
                    ids.append(rid)
            if len(ids) > 1 and not multiple:
                raise BadValue("value.relation_single")
            if len(ids) > 10_000:
                raise BadValue("value.max", max=10_000)
            return ids

        return coerce

    def operand(self, field: Field, ctx: FieldContext) -> Coercer:
        return _record_id

    def convertible_from(self, source: FieldType) -> bool:
        return False


class LookupOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    relation_field_id: int
    target_field_id: int


class LookupType(FieldType):
    key = "lookup"
    derived_from = "through"
    groupable = False
    value_type = "json"
    Options: ClassVar = LookupOptions
    stored = False
    writable = False
    supports_unique = False
    sortable = False
    #: Blank tests; a lookup of a stored field also takes that field's value operators
    #: (``cairn.query.linked_filters``).
    operators = EMPTY_OPS

    def coercer(self, field: Field, ctx: FieldContext) -> Coercer:
        return lambda v: v

    def convertible_from(self, source: FieldType) -> bool:
        return False


ROLLUP_FUNCTIONS = ("count", "sum", "avg", "min", "max")


class RollupOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    relation_field_id: int
    target_field_id: int | None = None
    function: Literal["count", "sum", "avg", "min", "max"] = "count"
    decimals: int = PField(default=2, ge=0, le=8)


class RollupType(FieldType):
    key = "rollup"
    derived_from = "through"
    value_type = "number"
    Options: ClassVar = RollupOptions
    stored = False
    writable = False
    supports_unique = False
    operators = ORDERED_OPS

    def coercer(self, field: Field, ctx: FieldContext) -> Coercer:
        return lambda v: v

    def convertible_from(self, source: FieldType) -> bool:
        return False


def register(registry: Any) -> None:
    for t in (RelationType(), LookupType(), RollupType()):
        registry.register(t)
