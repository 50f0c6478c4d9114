"""Attachment: uploaded files, each checked against the field's size and type limits on upload."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField

from cairn.meta.fieldtypes.base import EMPTY_OPS, BadValue, Coercer, Dumper, FieldContext, FieldType
from cairn.meta.model import Field


class AttachmentOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_size_mb: float = PField(default=20, gt=0, le=1024)
    #: MIME types ("image/png"), families ("image/*") or extensions (".pdf"); empty = any.
    allowed_types: list[str] = PField(default_factory=list, max_length=50)
    max_files: int = PField(default=10, ge=1, le=100)


def accepts(options: AttachmentOptions, filename: str, mime: str) -> bool:
    if not options.allowed_types:
        return True
    name = filename.lower()
    mime = (mime or "").lower()
    for allowed in options.allowed_types:
        a = allowed.lower().strip()
        if a.startswith(".") and name.endswith(a):
            return True
        if a.endswith("/*") and mime.startswith(a[:-1]):
            return True
        if a == mime:
            return True
    return False


class AttachmentType(FieldType):
    key = "attachment"
    value_type = "file"
    Options: ClassVar = AttachmentOptions
    operators = EMPTY_OPS
    sortable = False
    supports_unique = False
    references = "file"

    def column_type(self, field: Field) -> sa.types.TypeEngine:
        return sa.Text()

    def coercer(self, field: Field, ctx: FieldContext) -> Coercer:
        limit = self.opts(field).max_files

        def coerce(value: Any) -> str | None:
            if value is None or value == []:
                return None
            if not isinstance(value, list):
                value = [value]
            ids: list[str] = []
            for item in value:
                if isinstance(item, dict):
                    item = item.get("id")
                if not isinstance(item, str) or not item or len(item) > 64:
                    raise BadValue("value.attachment")
                if item not in ids:
                    ids.append(item)
            if len(ids) > limit:
                raise BadValue("value.max", max=limit)
            return json.dumps(ids)

        return coerce

    def dumper(self, field: Field, ctx: FieldContext) -> Dumper | None:
        return lambda v: json.loads(v) if v else []

    def convertible_from(self, source: FieldType) -> bool:
        return source.key == "attachment"


def register(registry: Any) -> None:
    registry.register(AttachmentType())
