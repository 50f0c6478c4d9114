"""What a caller asks of a dataset: the JSON shapes (Pydantic), validated before any SQL."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic import Field as PField

from cairn.core.models import parse_model as parse_model  # re-exported: it lived here

Bucket = Literal["day", "week", "month", "quarter", "year"]
MAX_DIMENSIONS = 4
MAX_MEASURES = 20
MAX_ROWS = 10_000
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"


class DimensionSpec(BaseModel):
    """A group-by: a field (``customer.province`` reads a field of the linked record), a date
    bucket for date and datetime fields, or a bin width for numbers."""

    model_config = ConfigDict(extra="forbid")
    field: str = PField(min_length=1, max_length=130)
    bucket: Bucket | None = None
    bin: float | None = PField(default=None, gt=0, le=1e15)
    key: str | None = PField(default=None, pattern=KEY_PATTERN)
    label: str | None = PField(default=None, max_length=200)

    @model_validator(mode="after")
    def _one_kind(self) -> DimensionSpec:
        if self.bucket is not None and self.bin is not None:
            raise ValueError("a dimension takes a bucket or a bin, not both")
        return self


class MeasureSpec(BaseModel):
    """An aggregate. ``filter`` counts only the records it selects (a conditional aggregate);
    ``since`` makes the value a duration in ``unit`` from that field to ``field``."""

    model_config = ConfigDict(extra="forbid")
    agg: str = PField(min_length=1, max_length=40)
    field: str | None = PField(default=None, max_length=130)
    p: float | None = PField(default=None, ge=0, le=1)
    filter: Any = None
    since: str | None = PField(default=None, max_length=130)
    unit: Literal["second", "minute", "hour", "day"] = "hour"
    formula: str | None = PField(default=None, max_length=2000)
    key: str | None = PField(default=None, pattern=KEY_PATTERN)
    label: str | None = PField(default=None, max_length=200)


class SortSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str
    direction: Literal["asc", "desc"] = "asc"


class DatasetSpec(BaseModel):
    """One table + filter + dimensions + measures + sort + limit. ``columns`` (pivot) are
    further dimensions laid out across."""

    model_config = ConfigDict(extra="forbid")
    table: str = PField(min_length=1, max_length=63)
    filter: Any = None
    dimensions: list[DimensionSpec] = PField(default_factory=list, max_length=MAX_DIMENSIONS)
    columns: list[DimensionSpec] = PField(default_factory=list, max_length=MAX_DIMENSIONS)
    measures: list[MeasureSpec] = PField(
        default_factory=lambda: [MeasureSpec(agg="count")], min_length=1, max_length=MAX_MEASURES
    )
    sort: list[SortSpec] = PField(default_factory=list, max_length=8)
    limit: int = PField(default=1000, ge=1, le=MAX_ROWS)

    @property
    def all_dimensions(self) -> list[DimensionSpec]:
        return [*self.dimensions, *self.columns]
