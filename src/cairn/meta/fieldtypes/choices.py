"""Choice field types: single_select and multi_select (options with colours) and boolean.

Options carry a stable ``id``; records store the id, so renaming an option keeps the data.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any, ClassVar

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, model_validator
from pydantic import Field as PField

from cairn.meta.fieldtypes.base import (
    BadValue,
    Coercer,
    Dumper,
    FieldContext,
    FieldType,
)
from cairn.meta.model import Field

PALETTE = ("#1677ff", "#52c41a", "#faad14", "#d4380d", "#722ed1", "#13c2c2", "#eb2f96", "#8c8c8c")


class Choice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = PField(default=None, pattern=r"^[A-Za-z0-9_-]{1,32}$")
    value: str = PField(min_length=1, max_length=100)
    color: str | None = PField(default=None, pattern=r"^#[0-9a-fA-F]{6}$")


class SelectOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    choices: list[Choice] = PField(default_factory=list, max_length=500)
    #: Cascading choices (``cairn.query.datalink``): the id of the single-select field of the
    #: same table whose value limits these options, and per option id of that field the ids
    #: of the options allowed under it. Absent when the options do not depend on another field.
    parent: int | None = None
    cascade: dict[str, list[str]] | None = None

    @model_validator(mode="after")
    def _distinct(self) -> SelectOptions:
        seen: set[str] = set()
        ids: set[str] = set()
        for c in self.choices:
            if c.value in seen:
                raise ValueError(f"the option {c.value!r} appears twice")
            seen.add(c.value)
            if c.id is not None:
                if c.id in ids:
                    raise ValueError(f"the option id {c.id!r} appears twice")
                ids.add(c.id)
        return self


def _new_id(taken: set[str]) -> str:
    while True:
        candidate = "o" + secrets.token_hex(3)
        if candidate not in taken:
            return candidate


class SelectBase(FieldType):
    Options: ClassVar = SelectOptions

    def validate_options(self, raw: dict[str, Any] | None, previous: Field | None = None) -> dict:
        """Without a parent the options are what they always were (no ``parent``/``cascade``)."""
        out = super().validate_options(raw, previous)
        if out.get("parent") is None:
            out.pop("parent", None)
            out.pop("cascade", None)
        else:
            out["cascade"] = out.get("cascade") or {}
        return out

    def normalise_options(self, options: SelectOptions, previous: Field | None) -> SelectOptions:
        """Give new options ids; options sent without an id keep the id of the same value."""
        old_by_value: dict[str, str] = {}
        if previous is not None and previous.type in ("single_select", "multi_select"):
            for c in previous.options.get("choices", []):
                old_by_value[c["value"]] = c["id"]
        sent = {c.id for c in options.choices if c.id}
        taken = sent | set(old_by_value.values())
        out = []
        for i, c in enumerate(options.choices):
            old = old_by_value.get(c.value)
            # An old id sent with another value (a rename) belongs to that option, not this one.
            cid = c.id or (old if old and old not in sent else None) or _new_id(taken)
            taken.add(cid)
            out.append(Choice(id=cid, value=c.value, color=c.color or PALETTE[i % len(PALETTE)]))
        return SelectOptions(choices=out, parent=options.parent, cascade=options.cascade)

    @staticmethod
    def maps(field: Field) -> tuple[dict[str, str], dict[str, str]]:
        """(value or id → id, id → value)."""
        to_id: dict[str, str] = {}
        to_value: dict[str, str] = {}
        for c in field.options.get("choices", []):
            to_id[c["value"]] = c["id"]
            to_id.setdefault(c["id"], c["id"])
            to_value[c["id"]] = c["value"]
        return to_id, to_value

    def position_expression(self, field: Field, column: sa.ColumnElement) -> sa.ColumnElement:
        """The option's position, so sorting follows the order the options were defined in."""
        ids = [c["id"] for c in field.options.get("choices", [])]
        if not ids:
            return column
        return sa.case({cid: i for i, cid in enumerate(ids)}, value=column, else_=len(ids))


class SingleSelectType(SelectBase):
    key = "single_select"
    value_type = "choice"
    operators = frozenset({"eq", "ne", "in", "not_in", "is_empty", "is_not_empty"})
    indexed = False  # few distinct values: a scan with the page limit beats the index

    def column_type(self, field: Field) -> sa.types.TypeEngine:
        return sa.String(32)

    def coercer(self, field: Field, ctx: FieldContext) -> Coercer:
        to_id, _ = self.maps(field)

        def coerce(value: Any) -> str | None:
            if value is None or value == "":
                return None
            if isinstance(value, dict):
                value = value.get("id") or value.get("value")
            if not isinstance(value, str) or value not in to_id:
                raise BadValue("value.choice", value=value)
            return to_id[value]

        return coerce

    def dumper(self, field: Field, ctx: FieldContext) -> Dumper | None:
        _, to_value = self.maps(field)
        return lambda v: None if v is None else to_value.get(v, v)

    def operand(self, field: Field, ctx: FieldContext) -> Coercer:
        to_id, _ = self.maps(field)

        def coerce(value: Any) -> Any:
            if not isinstance(value, str):
                raise BadValue("value.choice", value=value)
            # An unknown option matches nothing rather than failing the whole query: no stored
            # id contains a space, so this stand-in equals none of them.
            return to_id.get(value, " unknown option " + value[:64])

        return coerce

    def sort_expression(self, field: Field, column: sa.ColumnElement) -> sa.ColumnElement:
        return self.position_expression(field, column)

    def convertible_from(self, source: FieldType) -> bool:
        return source.value_type in {"text", "choice", "choices", "number", "boolean"}


class MultiSelectType(SelectBase):
    key = "multi_select"
    groupable = False
    value_type = "choices"
    operators = frozenset({"contains", "in", "not_in", "is_empty", "is_not_empty"})
    sortable = False
    supports_unique = False

    def column_type(self, field: Field) -> sa.types.TypeEngine:
        return sa.Text()

    def coercer(self, field: Field, ctx: FieldContext) -> Coercer:
        to_id, _ = self.maps(field)
        order = {c["id"]: i for i, c in enumerate(field.options.get("choices", []))}

        def coerce(value: Any) -> str | None:
            if value is None or value == "" or value == []:
                return None
            if isinstance(value, str):
                value = [v.strip() for v in re.split(r"[,，;；]", value) if v.strip()]
            if not isinstance(value, list):
                raise BadValue("value.choices")
            ids: list[str] = []
            for v in value:
                if isinstance(v, dict):
                    v = v.get("id") or v.get("value")
                if not isinstance(v, str) or v not in to_id:
                    raise BadValue("value.choice", value=v)
                if to_id[v] not in ids:
                    ids.append(to_id[v])
            ids.sort(key=lambda i: order.get(i, 0))
            return json.dumps(ids)

        return coerce

    def dumper(self, field: Field, ctx: FieldContext) -> Dumper | None:
        _, to_value = self.maps(field)

        def dump(value: Any) -> Any:
            if not value:
                return []
            return [to_value.get(i, i) for i in json.loads(value)]

        return dump

    def operand(self, field: Field, ctx: FieldContext) -> Coercer:
        return SingleSelectType.operand(self, field, ctx)  # type: ignore[arg-type]

    def convertible_from(self, source: FieldType) -> bool:
        return source.value_type in {"text", "choice", "choices"}


class BooleanType(FieldType):
    key = "boolean"
    value_type = "boolean"
    starts_false = True
    operators = frozenset({"eq", "ne"})
    supports_unique = False
    indexed = False  # two values: an index never pays for its upkeep

    TRUE = frozenset({"true", "1", "yes", "y", "是", "对", "on"})
    FALSE = frozenset({"false", "0", "no", "n", "否", "错", "off", ""})

    def column_type(self, field: Field) -> sa.types.TypeEngine:
        return sa.Boolean()

    def coercer(self, field: Field, ctx: FieldContext) -> Coercer:
        def coerce(value: Any) -> bool:
            if value is None:
                return False
            if isinstance(value, bool):
                return value
            if isinstance(value, int) and value in (0, 1):
                return bool(value)
            if isinstance(value, str):
                v = value.strip().lower()
                if v in self.TRUE:
                    return True
                if v in self.FALSE:
                    return False
            raise BadValue("value.boolean")

        return coerce

    def dumper(self, field: Field, ctx: FieldContext) -> Dumper | None:
        return lambda v: bool(v)

    def convertible_from(self, source: FieldType) -> bool:
        return source.value_type in {"boolean", "text", "number"}


def register(registry: Any) -> None:
    for t in (SingleSelectType(), MultiSelectType(), BooleanType()):
        registry.register(t)
